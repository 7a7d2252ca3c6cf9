/**
 * The response headers of the web console at `/ui` (docs/CONSOLE.md, "Security"). Everything the
 * console runs is its own built files: no inline script or style, no eval, no third-party origin;
 * data only from this origin's API (`connect-src 'self'`); never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // Pico CSS draws its form icons (checkboxes, select arrows) as data: SVG backgrounds.
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Headers for every response under `/ui`; `immutable` for the content-hashed files in `assets/`. */
export function consoleHeaders(path: string): Record<string, string> {
  return {
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    'cache-control': path.startsWith('/ui/assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
  };
}

/** Whether a request path belongs to the console (`/ui`, `/ui/…`, `/ui?…`). */
export function isConsolePath(url: string): boolean {
  return url === '/ui' || url.startsWith('/ui/') || url.startsWith('/ui?');
}
