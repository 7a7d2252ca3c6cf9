import { useCallback, useState } from 'preact/hooks';
import { Console } from './console';
import { SignIn } from './pages/sign-in';
import { clearToken, loadToken, saveToken } from './session';

/** Signed out: the sign-in form; signed in: the console, holding the token in memory and sessionStorage. */
export function App() {
  const [token, setToken] = useState<string | null>(() => loadToken());
  const [notice, setNotice] = useState<string | null>(null);
  const signIn = useCallback((value: string) => {
    saveToken(value);
    setNotice(null);
    setToken(value);
  }, []);
  const signOut = useCallback((reason?: string) => {
    clearToken();
    setNotice(reason ?? null);
    setToken(null);
  }, []);
  if (token === null) return <SignIn onSignIn={signIn} notice={notice} />;
  return <Console token={token} onSignOut={signOut} />;
}
