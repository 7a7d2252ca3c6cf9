import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { nginxTestSite } from './support/deploy-tools.js';
import { CLI, tempDir } from './support/server-process.js';

/**
 * Static checks of the deployment artifacts: there is no Docker engine or cluster in CI, so
 * every manifest is parsed and checked here, and the real linters (promtool, systemd-analyze,
 * nginx -t) run on the files users copy.
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => pattern.test(f) && statSync(join(ROOT, f)).isFile())
    .sort();
}

type Doc = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: unknown;
};

/** The part of a Deployment these checks read. */
interface DeploymentSpec {
  replicas: number;
  strategy: { type: string };
  template: {
    spec: {
      securityContext: { runAsNonRoot?: boolean };
      containers: Array<{
        livenessProbe: { httpGet: { path: string } };
        readinessProbe: { httpGet: { path: string } };
        securityContext: unknown;
        resources: { requests?: unknown; limits?: unknown };
        volumeMounts: Array<{ mountPath: string }>;
      }>;
      volumes: Array<{ persistentVolumeClaim?: { claimName: string } }>;
    };
  };
}

function parseYamlFile(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(join(ROOT, file), 'utf8'));
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

/** Runs a tool; a missing binary fails loudly with the Debian package to install. */
function run(cmd: string, args: string[], debianPackage: string): { code: number; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      `${cmd} is not installed: apt-get install ${debianPackage} (scripts/ensure-test-deps.sh)`,
    );
  }
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

const YAML_FILES = [
  ...filesUnder('k8s', /\.ya?ml$/),
  ...filesUnder('deploy', /\.ya?ml$/),
  'docker-compose.yml',
  'docker-compose.file-store.yml',
];
const K8S_FILES = filesUnder('k8s', /\.ya?ml$/);
const k8sDocs = K8S_FILES.flatMap((file) => parseYamlFile(file).map((doc) => ({ file, doc })));
const objects = k8sDocs.filter(({ doc }) => doc.kind !== 'Kustomization');
const baseDeployment = objects.find(
  ({ file, doc }) => doc.kind === 'Deployment' && !file.includes('overlays'),
)?.doc;

describe('YAML under k8s/ and deploy/', () => {
  it.each(YAML_FILES)('%s parses', (file) => {
    expect(parseYamlFile(file).length).toBeGreaterThan(0);
  });

  it('finds the manifests (a rename would silently shrink these checks)', () => {
    expect(YAML_FILES.length).toBeGreaterThanOrEqual(12);
    expect(objects.map(({ doc }) => doc.kind)).toEqual(
      expect.arrayContaining([
        'Namespace',
        'ConfigMap',
        'Secret',
        'Deployment',
        'Service',
        'Ingress',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
      ]),
    );
  });

  it.each(objects.map(({ file, doc }) => [`${file} ${doc.kind}`, doc] as const))(
    '%s has apiVersion, kind, metadata.name and namespace',
    (_, doc) => {
      expect(doc.apiVersion).toEqual(expect.any(String));
      expect(doc.kind).toEqual(expect.any(String));
      expect(doc.metadata?.name).toEqual(expect.any(String));
      if (doc.kind !== 'Namespace') expect(doc.metadata?.namespace).toBe('orchestrator');
    },
  );

  it('every kustomization lists files that exist', () => {
    for (const { file, doc } of k8sDocs.filter(({ doc }) => doc.kind === 'Kustomization')) {
      const dir = join(ROOT, file, '..');
      const listed = [
        ...((doc.resources as string[] | undefined) ?? []),
        ...((doc.patches as Array<{ path: string }> | undefined) ?? []).map((p) => p.path),
      ];
      for (const entry of listed) expect(() => statSync(join(dir, entry))).not.toThrow();
    }
  });

  it('the base Deployment: 1 replica, health probes, locked-down security context, the PVC', () => {
    const spec = baseDeployment!.spec as DeploymentSpec;
    // The file store's lock admits one owner; more replicas would fail readiness.
    expect(spec.replicas).toBe(1);
    expect(spec.strategy.type).toBe('Recreate');
    const pod = spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const [container] = pod.containers;
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits).toBeDefined();
    const claim = pod.volumes.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim?.claimName;
    expect(claim).toBe('orchestrator-state');
    expect(
      objects.some(({ doc }) => doc.kind === 'PersistentVolumeClaim' && doc.metadata?.name === claim),
    ).toBe(true);
    // A read-only root needs every written path mounted.
    const mounts = container.volumeMounts.map((m) => m.mountPath);
    expect(mounts).toEqual(
      expect.arrayContaining(['/var/lib/orchestrator', '/var/log/orchestrator', '/tmp']),
    );
  });

  it('the ConfigMap holds a config whose writable paths are mounted volumes', () => {
    const cm = objects.find(({ doc }) => doc.kind === 'ConfigMap')!.doc;
    const config = parseAllDocuments((cm.data as Record<string, string>)['orchestrator.yaml'])[0].toJS();
    expect(config.state.state_file).toMatch(/^\/var\/lib\/orchestrator\//);
    expect(config.audit.audit_file).toMatch(/^\/var\/(lib|log)\/orchestrator\//);
  });

  it('the Ingress does not buffer the SSE stream', () => {
    const ingress = objects.find(({ doc }) => doc.kind === 'Ingress')!.doc;
    const annotations = ingress.metadata?.annotations ?? {};
    expect(annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    expect(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThan(60);
  });

  it('no object carries a *-snippet annotation (ingress-nginx >= 1.9 refuses them by default)', () => {
    const snippets = objects.flatMap(({ file, doc }) =>
      Object.keys(doc.metadata?.annotations ?? {})
        .filter((key) => key.endsWith('-snippet'))
        .map((key) => `${file}: ${key}`),
    );
    expect(snippets).toEqual([]);
  });

  it('the command-sandbox overlay gives the pod what bubblewrap needs, and only there', () => {
    const patch = objects.find(
      ({ file, doc }) => file.includes('overlays/command-sandbox') && doc.kind === 'Deployment',
    )!.doc;
    const pod = (patch.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(pod.hostUsers).toBe(false);
    expect((pod.containers as Array<{ securityContext: unknown }>)[0].securityContext).toEqual({
      procMount: 'Unmasked',
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
    });
    const base = (baseDeployment!.spec as DeploymentSpec).template.spec.containers[0].securityContext;
    expect(JSON.stringify(base)).not.toContain('Unconfined');
  });

  it('the postgres replicas share one signing key, copied from a group-readable Secret to mode 0600', () => {
    const patch = objects.find(
      ({ file, doc }) => file.includes('overlays/postgres-multi-replica') && doc.kind === 'Deployment',
    )!.doc;
    const pod = (patch.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    const [init] = pod.initContainers as Array<{ command: string[]; volumeMounts: { mountPath: string }[] }>;
    const env = (pod.containers as Array<{ env: { name: string; value: string }[] }>)[0].env;
    const keyFile = env.find((e) => e.name === 'ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE')!.value;
    // Run the init container's script on this machine, its two mounts moved into a temp dir.
    const dir = tempDir();
    const [secretDir, stateDir] = init.volumeMounts.map((m) => m.mountPath);
    mkdirSync(join(dir, secretDir), { recursive: true });
    mkdirSync(join(dir, stateDir), { recursive: true });
    writeFileSync(join(dir, secretDir, 'audit-signing-key.pem'), 'KEY', { mode: 0o440 });
    const script = init.command[2]
      .replaceAll(secretDir, join(dir, secretDir))
      .replaceAll(stateDir, join(dir, stateDir));
    expect(spawnSync(process.execPath, ['-e', script]).status).toBe(0);
    const copied = join(dir, keyFile);
    expect(readFileSync(copied, 'utf8')).toBe('KEY');
    expect(statSync(copied).mode & 0o777).toBe(0o600);
  });

  it.each(['docker-compose.yml', 'docker-compose.file-store.yml'])(
    '%s lifts the seccomp, AppArmor and /proc masks bubblewrap cannot work under',
    (file) => {
      const [compose] = parseYamlFile(file) as Array<{
        services: { orchestrator: { security_opt: string[] } };
      }>;
      expect(compose.services.orchestrator.security_opt).toEqual([
        'seccomp=unconfined',
        'apparmor=unconfined',
        'systempaths=unconfined',
      ]);
    },
  );

  it('the example Secret holds no real secret', () => {
    const secret = objects.find(({ doc }) => doc.kind === 'Secret')!.doc;
    expect(JSON.stringify(secret)).toContain('REPLACE');
  });
});

describe('Prometheus alert rules', () => {
  it('promtool check rules accepts deploy/prometheus/alerts.yml', () => {
    const r = run('promtool', ['check', 'rules', join(ROOT, 'deploy/prometheus/alerts.yml')], 'prometheus');
    expect(r.output).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('alerts use the metric names the server exports', () => {
    const text = readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8');
    for (const needle of [
      'alert: OrchestratorDown',
      'alert: HighErrorRate',
      'http_requests_total{status=~"5.."}',
      'orchestrator_tasks{status="claimed"}',
      'orchestrator_leases_expired_total',
      'orchestrator_transitions_total{result="blocked"}',
      'orchestrator_db_sequencer_lag_seconds',
    ])
      expect(text).toContain(needle);
  });
});

describe('systemd unit', () => {
  const unitFile = join(ROOT, 'deploy/systemd/orchestrator.service');
  const keys = new Map<string, string[]>();
  for (const line of readFileSync(unitFile, 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) keys.set(m[1], [...(keys.get(m[1]) ?? []), m[2]]);
  }

  it('systemd-analyze verify accepts it', () => {
    // verify checks that ExecStart's binary exists: point it at this Node (CI may not have
    // /usr/bin/node). It exits 0 on unknown keys but names the file, hence the filter below.
    const dir = tempDir();
    const unit = readFileSync(unitFile, 'utf8').replace(
      'ExecStart=/usr/bin/node ',
      `ExecStart=${process.execPath} `,
    );
    expect(unit).toContain(`ExecStart=${process.execPath} `);
    writeFileSync(join(dir, 'orchestrator.service'), unit);
    const r = run('systemd-analyze', ['verify', join(dir, 'orchestrator.service')], 'systemd');
    // Messages about *other* units (the host's) are not ours to fix; ours must be clean.
    const ours = r.output.split('\n').filter((l) => l.includes('orchestrator.service'));
    expect(ours).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('notify readiness from a helper process, the real command and the guide hardening', () => {
    expect(keys.get('Type')).toEqual(['notify']);
    expect(keys.get('NotifyAccess')).toEqual(['all']);
    expect(keys.get('EnvironmentFile')).toEqual(['/etc/orchestrator/env']);
    expect(keys.get('ExecStart')?.[0]).toBe(
      '/usr/bin/node /opt/orchestrator/dist/cli/main.js serve --config /etc/orchestrator/orchestrator.yaml',
    );
    for (const [key, value] of [
      ['NoNewPrivileges', 'true'],
      ['PrivateTmp', 'true'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'true'],
      ['ReadWritePaths', '/var/lib/orchestrator /var/log/orchestrator'],
      ['Restart', 'always'],
    ])
      expect([key, keys.get(key)]).toEqual([key, [value]]);
  });

  it('leaves the command sandbox what it needs: a mountable /proc and netlink for its loopback', () => {
    // ProtectKernelTunables over-mounts /proc/sys, and the kernel then refuses a new /proc.
    expect(keys.get('ProtectKernelTunables')).toBeUndefined();
    expect(keys.get('RestrictAddressFamilies')?.[0].split(' ')).toContain('AF_NETLINK');
    expect(keys.get('RestrictNamespaces')).toBeUndefined();
  });
});

describe('nginx site', () => {
  it('nginx -t accepts it with a test certificate and a loopback upstream', () => {
    const site = readFileSync(join(ROOT, 'deploy/nginx/orchestrator.conf'), 'utf8');
    expect(site).toMatch(/least_conn;/);
    expect(site).toMatch(
      /location = \/api\/v1\/events\/stream \{[^}]*proxy_buffering off;[^}]*proxy_read_timeout 1h;/,
    );
    expect(site).toMatch(/location \/api\/ \{[^}]*limit_req zone=orchestrator_api/);
    const r = nginxTestSite(site);
    // The test must not depend on /etc/ssl or privileged ports.
    expect(r.testSite).not.toContain('/etc/ssl');
    // Upstream servers (not `server {` blocks) must be loopback-only.
    const upstreams = [...r.testSite.matchAll(/^\s*server ([^{\s]\S*)/gm)].map((m) => m[1]);
    expect(upstreams).toEqual(['127.0.0.1:8000']);
    expect(r.output).toContain('test is successful');
    expect(r.code).toBe(0);
  });
});

/**
 * What each deployment writes, from the config it really runs with (`config show` on its config
 * file and environment: the image's ENV beats a ConfigMap), must lie on a writable mount: /app,
 * /opt/orchestrator and a Kubernetes root filesystem are not writable by the server.
 */
describe('every deployment writes only where it may', () => {
  const runtimeStage = (() => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
    return text.slice(text.lastIndexOf('\nFROM '));
  })();
  const imageEnv = Object.fromEntries(
    /^ENV (.*)$/m
      .exec(runtimeStage)![1]
      .split(/\s+/)
      .map((pair) => pair.split('=') as [string, string]),
  );
  const imageWorkdir = /^WORKDIR (\S+)$/m.exec(runtimeStage)![1];

  /** The effective value of every key, as `config show --json` prints it. */
  function effective(config: string | null, env: Record<string, string>): Record<string, unknown> {
    const dir = tempDir();
    const args = [CLI, 'config', 'show', '--json'];
    if (config !== null) {
      writeFileSync(join(dir, 'orchestrator.yaml'), config);
      args.push('--config', join(dir, 'orchestrator.yaml'));
    }
    const r = spawnSync(process.execPath, args, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ORCHESTRATOR_JWT_SECRET: 'ab'.repeat(32), ...env },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const rows = (JSON.parse(r.stdout) as { values: Array<{ key: string; value: unknown }> }).values;
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  /** [key, directory the server writes] for the effective config, relative paths against `cwd`. */
  function writtenDirs(values: Record<string, unknown>, cwd: string): Array<[string, string]> {
    const at = (p: unknown) => resolve(cwd, String(p));
    const dirs: Array<[string, string]> = [
      ['state.state_file', dirname(at(values['state.state_file']))],
      ['audit.audit_file', dirname(at(values['audit.audit_file']))],
      ['tools.workspace_root', at(values['tools.workspace_root'])],
    ];
    if (values['logging.file']) dirs.push(['logging.file', dirname(at(values['logging.file']))]);
    if (values['event.enable_event_persistence'])
      dirs.push(['event.event_persistence_file', dirname(at(values['event.event_persistence_file']))]);
    return dirs;
  }

  const outside = (dirs: Array<[string, string]>, writable: string[]) =>
    dirs.filter(([, dir]) => !writable.some((root) => dir === root || dir.startsWith(`${root}/`)));

  it('the image: under the directories it chowns to uid 1000', () => {
    const chowned = /chown -R 1000:1000 ([^&\n]+)/.exec(runtimeStage)![1].trim().split(/\s+/);
    expect(chowned).toEqual(['/var/lib/orchestrator', '/var/log/orchestrator']);
    const dirs = writtenDirs(effective(null, { NODE_ENV: 'production', ...imageEnv }), imageWorkdir);
    expect(outside(dirs, chowned)).toEqual([]);
  });

  // docker-compose.yml (postgres) keeps no state on disk: test/deploy-artifacts-scaling.e2e-spec.ts.
  it('docker compose on the file store: under its writable volumes', () => {
    const [compose] = parseYamlFile('docker-compose.file-store.yml') as Array<{
      services: { orchestrator: { environment: Record<string, string>; volumes: string[] } };
    }>;
    const service = compose.services.orchestrator;
    const env = Object.fromEntries(Object.entries(service.environment).filter(([, v]) => !v.includes('${')));
    const writable = service.volumes.filter((v) => !v.endsWith(':ro')).map((v) => v.split(':')[1]);
    const dirs = writtenDirs(effective(null, { NODE_ENV: 'production', ...imageEnv, ...env }), imageWorkdir);
    expect(outside(dirs, writable)).toEqual([]);
  });

  it('Kubernetes: under writable mounts, state and audit on the persistent volume', () => {
    const spec = baseDeployment!.spec as {
      template: {
        spec: {
          containers: Array<{
            env: Array<{ name: string; value?: string }>;
            volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
          }>;
          volumes: Array<{ name: string; persistentVolumeClaim?: unknown }>;
        };
      };
    };
    const pod = spec.template.spec;
    const [container] = pod.containers;
    const env = Object.fromEntries(
      container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]),
    );
    const configMount = container.volumeMounts.find((m) => m.name === 'config')!.mountPath;
    expect(env.ORCHESTRATOR_CONFIG).toBe(`${configMount}/orchestrator.yaml`);
    delete env.ORCHESTRATOR_CONFIG;
    const cm = objects.find(({ doc }) => doc.kind === 'ConfigMap')!.doc;
    const config = (cm.data as Record<string, string>)['orchestrator.yaml'];
    const dirs = writtenDirs(effective(config, { ...imageEnv, ...env }), imageWorkdir);
    const writable = container.volumeMounts.filter((m) => !m.readOnly).map((m) => m.mountPath);
    expect(outside(dirs, writable)).toEqual([]);
    const persistent = container.volumeMounts
      .filter((m) => pod.volumes.find((v) => v.name === m.name)?.persistentVolumeClaim)
      .map((m) => m.mountPath);
    const kept = dirs.filter(([key]) =>
      ['state.state_file', 'audit.audit_file', 'tools.workspace_root'].includes(key),
    );
    expect(outside(kept, persistent)).toEqual([]);
  });

  it('systemd: the documented config under the unit’s ReadWritePaths', () => {
    const unit = readFileSync(join(ROOT, 'deploy/systemd/orchestrator.service'), 'utf8');
    const doc = readFileSync(join(ROOT, 'docs/DEPLOYMENT.md'), 'utf8');
    const config = /<< 'YAML'\n([\s\S]*?)\nYAML\n/.exec(doc)![1];
    const env = Object.fromEntries(
      [...unit.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1], m[2]] as [string, string]),
    );
    const cwd = /^WorkingDirectory=(.*)$/m.exec(unit)![1];
    const writable = /^ReadWritePaths=(.*)$/m.exec(unit)![1].split(' ');
    expect(outside(writtenDirs(effective(config, env), cwd), writable)).toEqual([]);
  });
});
