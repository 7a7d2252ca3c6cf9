import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (scripts/ensure-test-deps.sh installs it): `npx playwright install` cannot download a browser here. */
export const CHROMIUM = process.env.ORCHESTRATOR_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots of the browser tests (git-ignored): test-artifacts/<name>/. */
export function artifactDir(name: string): string {
  const dir = resolve(
    import.meta.dirname ?? new URL('.', import.meta.url).pathname,
    '../../test-artifacts',
    name,
  );
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const screenshotPath = (dir: string, name: string) => join(dir, `${name}.png`);

export interface Chromium {
  browser: Browser;
  /** The browser's process id, to kill it if it does not close. */
  pid: number | undefined;
  close(): Promise<void>;
}

/** Headless Chromium; `--no-sandbox` because CI runs as root, where Chromium's sandbox refuses to start. */
export async function launchChromium(): Promise<Chromium> {
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  const pid = server.process().pid;
  const browser = await chromium.connect(server.wsEndpoint());
  const close = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      browser.close().then(() => server.close()),
      new Promise((r) => (timer = setTimeout(r, 5000))),
    ]);
    clearTimeout(timer);
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  return { browser, pid, close };
}
