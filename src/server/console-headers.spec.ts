import { CONSOLE_CSP, consoleHeaders, isConsolePath } from './console-headers.js';

describe('the web console headers', () => {
  const directives = new Map(
    CONSOLE_CSP.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1).join(' ')] as const),
  );

  it('allow scripts, styles and data calls from this origin only, and no framing', () => {
    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('style-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'self'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('base-uri')).toBe("'none'");
    expect(directives.get('object-src')).toBe("'none'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-|https?:|\*/);
  });

  it('every response: the CSP, nosniff, DENY, no referrer; only hashed assets are cached', () => {
    const page = consoleHeaders('/ui/');
    expect(page).toMatchObject({
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(consoleHeaders('/ui/assets/index-abc.js')['cache-control']).toContain('immutable');
  });

  it('the console is /ui and below, nothing else', () => {
    expect(['/ui', '/ui/', '/ui/assets/a.js', '/ui?x=1'].map(isConsolePath)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['/uix', '/api/v1/ui', '/', '/docs'].map(isConsolePath)).toEqual([false, false, false, false]);
  });
});
