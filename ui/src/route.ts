import { useEffect, useState } from 'preact/hooks';

/** Pages live in the URL's fragment (#/tasks/ID): the server serves one index.html for all. */
export type Route =
  | { page: 'board' }
  | { page: 'task'; id: string }
  | { page: 'approvals' }
  | { page: 'audit'; task?: string }
  | { page: 'agents' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p));
  if (parts[0] === 'tasks' && parts[1]) return { page: 'task', id: parts[1] };
  if (parts[0] === 'approvals') return { page: 'approvals' };
  if (parts[0] === 'audit') return parts[1] ? { page: 'audit', task: parts[1] } : { page: 'audit' };
  if (parts[0] === 'agents') return { page: 'agents' };
  return { page: 'board' };
}

export const taskHref = (id: string) => `#/tasks/${encodeURIComponent(id)}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
