import { execFile } from 'node:child_process';

/**
 * Tells systemd the service is ready (`Type=notify`). Node cannot write to a unix datagram
 * socket itself, so this runs `systemd-notify`, which needs `NotifyAccess=all` in the unit;
 * MAINPID names this process so systemd tracks the server, not the helper.
 */
export function notifyReady(env: NodeJS.ProcessEnv = process.env): Promise<'sent' | 'skipped' | string> {
  if (!env.NOTIFY_SOCKET) return Promise.resolve('skipped');
  return new Promise((resolve) => {
    execFile(
      'systemd-notify',
      [`--pid=${process.pid}`, '--ready', `STATUS=listening`],
      { env: { PATH: env.PATH ?? '/usr/bin:/bin', NOTIFY_SOCKET: env.NOTIFY_SOCKET }, timeout: 5000 },
      (err) => resolve(err ? `failed: ${err.message}` : 'sent'),
    );
  });
}
