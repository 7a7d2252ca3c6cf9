import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';

/** Opens a raw HTTP request whose body is sent in two halves, so it stays in flight. */
function slowRequest(url: string): { sendRest(): void; response: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const body = JSON.stringify({ padding: 'x'.repeat(40) });
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST /health HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`,
  );
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  return {
    sendRest: () => socket.write(body.slice(half)),
    response: new Promise((resolve, reject) => {
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    }),
  };
}

describe('process lifecycle', () => {
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));

  it('SIGTERM during a slow request lets it finish, then exits 0', async () => {
    server = await startServer();
    const request = slowRequest(server.url);
    await new Promise((r) => setTimeout(r, 200));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(server.child.exitCode).toBeNull(); // still draining
    request.sendRest();
    const response = await request.response;
    expect(response).toMatch(/^HTTP\/1\.1 404/);
    expect(await server.exited).toBe(0);
    expect(server.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutdown complete']));
  });

  it('SIGINT stops an idle server with exit 0', async () => {
    server = await startServer();
    expect(await server.stop('SIGINT')).toBe(0);
  });

  it('sends READY=1 to NOTIFY_SOCKET once listening', async () => {
    const dir = (await import('./support/server-process.js')).tempDir();
    const socketPath = join(dir, 'notify.sock');
    const receiver = spawn(
      'python3',
      [
        '-c',
        'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("bound",flush=True)\ns.settimeout(20)\nprint(s.recv(4096).decode(),flush=True)',
        socketPath,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    const bound = new Promise<void>((resolve) =>
      receiver.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('bound')) resolve();
      }),
    );
    const received = new Promise<void>((resolve) => receiver.on('exit', () => resolve()));
    await bound;
    server = await startServer({ env: { NOTIFY_SOCKET: socketPath } });
    await received;
    expect(out).toContain('READY=1');
    expect(out).toContain(`MAINPID=${server.child.pid}`);
  });

  it('server.workers=2 with a shareable store runs two processes and replaces one that dies', async () => {
    server = await startServer({
      env: { ORCHESTRATOR_SERVER_WORKERS: '2', ORCHESTRATOR_STATE_BACKEND: 'memory' },
    });
    const pidsServing = async (): Promise<Set<number>> => {
      const pids = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const body = (await (
          await fetch(`${server!.url}/`, { headers: { connection: 'close' } })
        ).json()) as { pid: number };
        pids.add(body.pid);
      }
      return pids;
    };
    const first = await pidsServing();
    expect(first.size).toBe(2);
    expect(first.has(server.child.pid!)).toBe(false);
    const victim = [...first][0];
    process.kill(victim, 'SIGKILL');
    const deadline = Date.now() + 10000;
    let now = new Set<number>();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      now = await pidsServing().catch(() => new Set<number>());
      if (now.size === 2 && !now.has(victim)) break;
    }
    expect(now.size).toBe(2);
    expect(now.has(victim)).toBe(false);
    expect(server.logs.some((l) => l.msg === 'worker died: restarting it')).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  it('server.workers>1 with the file store warns and runs one process', async () => {
    server = await startServer({ env: { ORCHESTRATOR_SERVER_WORKERS: '3' } });
    const body = (await (await fetch(`${server.url}/`)).json()) as { pid: number };
    expect(body.pid).toBe(server.child.pid);
    expect(server.logs.some((l) => l.level === 'warn' && String(l.msg).includes('running 1 worker'))).toBe(
      true,
    );
  });
});
