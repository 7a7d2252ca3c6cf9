import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './support/deploy-tools.js';
import { FakeDns } from './support/fake-dns.js';
import { tempDir } from './support/server-process.js';

/**
 * deploy/nginx/compose.conf run by a real nginx: the claim that `docker-compose up -d --scale
 * orchestrator=N` needs no nginx reload. A DNS server stands in for Docker's (127.0.0.11) and
 * answers `orchestrator` with the "replicas" the test starts and stops on 127.0.0.2 and 127.0.0.3.
 * Only the resolver address, its cache time (10 s → 1 s), the port and the listen address change.
 */
const site = readFileSync(join(ROOT, 'deploy/nginx/compose.conf'), 'utf8');

/** A stand-in replica: answers with its own address; the event stream sends two events 1.5 s apart. */
function replica(host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/api/v1/events/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: first from ${host}\n\n`);
      setTimeout(() => res.end(`data: second\n\n`), 1500).unref();
      return;
    }
    res.end(host);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

let dns: FakeDns;
let nginx: ChildProcess;
let url: string;
const replicas = new Map<string, Server>();

beforeAll(async () => {
  dns = await FakeDns.start('orchestrator');
  const first = await replica('127.0.0.2', 0);
  const port = (first.address() as AddressInfo).port;
  replicas.set('127.0.0.2', first);
  replicas.set('127.0.0.3', await replica('127.0.0.3', port));
  dns.addresses = ['127.0.0.2'];

  const listen = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const testSite = site
    .replace(/^resolver 127\.0\.0\.11 valid=10s/m, `resolver 127.0.0.1:${dns.port} valid=1s`)
    .replace('set $orchestrator http://orchestrator:8000;', `set $orchestrator http://orchestrator:${port};`)
    .replace('listen 8000;', `listen 127.0.0.1:${listen};`);
  expect(testSite).toContain(`resolver 127.0.0.1:${dns.port} valid=1s`);
  expect(testSite).toContain(`http://orchestrator:${port};`);
  const dir = tempDir();
  writeFileSync(join(dir, 'site.conf'), testSite);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'master_process off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events {}',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${dir}/body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  include ${dir}/site.conf;`,
      '}',
    ].join('\n'),
  );
  nginx = spawn('nginx', ['-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', join(dir, 'nginx.conf')], {
    stdio: 'ignore',
  });
  url = `http://127.0.0.1:${listen}`;
  for (let i = 0; i < 50; i++) {
    if (
      await fetch(`${url}/health`).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not answer on ${url} (see ${dir}/error.log)`);
}, 20_000);

afterAll(async () => {
  if (nginx?.pid !== undefined && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx.once('exit', r));
    nginx.kill('SIGTERM');
    await exited;
  }
  for (const server of replicas.values()) await close(server);
  await dns?.close();
});

/** Who answered each of `n` requests, and with which status. */
async function answers(n: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/health`);
    seen.push(res.status === 200 ? await res.text() : `status ${res.status}`);
  }
  return seen;
}

/**
 * Past nginx's cache of the answer: `valid=1s` counts in whole seconds of its clock, so an answer
 * may be used for up to 2 s.
 */
const afterCache = () => new Promise((r) => setTimeout(r, 2500));

describe('deploy/nginx/compose.conf under a real nginx, replicas coming and going', () => {
  it('sends everything to the one replica there is', async () => {
    expect(new Set(await answers(10))).toEqual(new Set(['127.0.0.2']));
  });

  it('a replica added (--scale orchestrator=2) gets requests without an nginx reload', async () => {
    dns.addresses = ['127.0.0.2', '127.0.0.3'];
    await afterCache();
    expect(new Set(await answers(20))).toEqual(new Set(['127.0.0.2', '127.0.0.3']));
  });

  it('a replica stopped while DNS still names it: its requests go to the other, none fail', async () => {
    await close(replicas.get('127.0.0.2')!);
    replicas.delete('127.0.0.2');
    expect(new Set(await answers(20))).toEqual(new Set(['127.0.0.3']));
    dns.addresses = ['127.0.0.3'];
    await afterCache();
    expect(new Set(await answers(10))).toEqual(new Set(['127.0.0.3']));
  });

  // proxy_buffering off itself is held by the static check (deploy-artifacts-scaling): nginx 1.22
  // forwards these small chunks at once even with buffering on. This catches what would hold the
  // stream back in any case (a cache, gzip, a location that loses the stream's settings).
  it('an event of the stream reaches the client at once, not when the response ends', async () => {
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/events/stream`);
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const firstAfter = performance.now() - started;
    expect(new TextDecoder().decode(value)).toContain('data: first from 127.0.0.3');
    // The replica sends the second event 1.5 s later: a buffering proxy would hold the first till then.
    expect(firstAfter).toBeLessThan(1000);
    await reader.cancel();
  });
});
