import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  configShow,
  kustomize,
  nginxTestSite,
  ROOT,
  runTool,
  type Manifest,
} from './support/deploy-tools.js';
import { tempDir } from './support/server-process.js';

/**
 * The deployment guide's scaling topology, checked on the files as shipped (no Docker engine or
 * cluster here): `docker-compose up -d --scale orchestrator=3` on docker-compose.yml,
 * `kubectl scale deployment orchestrator --replicas=5` on the postgres overlay, and the guide's
 * three-server nginx upstream. Every instance on one database must share the database, the token
 * signing secret and the audit signing key; nothing may be per replica.
 */
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  ports?: unknown[];
  container_name?: string;
  environment: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test: string[] };
  command?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
  volumes?: Record<string, unknown>;
}

const COMPOSE = 'docker-compose.yml';
const compose = parse(read(COMPOSE)) as ComposeFile;
const { orchestrator, postgres, nginx } = compose.services;

/** Values for the file's `${VAR:?…}`; the shared secrets are recognisable in the output. */
const SHARED = { ORCHESTRATOR_JWT_SECRET: 'cd'.repeat(32), POSTGRES_PASSWORD: 'ef'.repeat(16) };

/** `docker-compose config` in a copy of the project, reading only the given .env. */
function composeConfig(file: string, dotEnv: Record<string, string>): ReturnType<typeof runTool> {
  const envFile = join(tempDir(), '.env');
  writeFileSync(
    envFile,
    Object.entries(dotEnv)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return runTool(
    'docker-compose',
    ['--project-directory', ROOT, '-f', join(ROOT, file), '--env-file', envFile, 'config'],
    'apt-get install docker-compose',
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
  );
}

describe('docker-compose.yml: `docker-compose up -d --scale orchestrator=3`', () => {
  it('docker-compose config accepts it; without either shared secret it refuses to start', () => {
    const ok = composeConfig(COMPOSE, SHARED);
    expect([ok.code, ok.output]).toEqual([0, expect.any(String)]);
    const rendered = parse(ok.stdout) as ComposeFile;
    expect(Object.keys(rendered.services).sort()).toEqual(['nginx', 'orchestrator', 'postgres']);
    // Interpolated once for the service: every replica gets these very values.
    const env = rendered.services.orchestrator.environment;
    expect(env.ORCHESTRATOR_JWT_SECRET).toBe(SHARED.ORCHESTRATOR_JWT_SECRET);
    expect(env.ORCHESTRATOR_DATABASE_URL).toBe(
      `postgres://orchestrator:${SHARED.POSTGRES_PASSWORD}@postgres:5432/orchestrator`,
    );
    expect(rendered.services.postgres.environment.POSTGRES_PASSWORD).toBe(SHARED.POSTGRES_PASSWORD);
    for (const missing of Object.keys(SHARED)) {
      const refused = composeConfig(COMPOSE, { ...SHARED, [missing]: '' });
      expect([missing, refused.code]).not.toEqual([missing, 0]);
      expect(refused.output).toContain(`set ${missing}`);
    }
  });

  it('the orchestrator service can be scaled: no host port, no container_name', () => {
    expect(orchestrator.ports).toBeUndefined();
    expect(orchestrator.container_name).toBeUndefined();
    expect(JSON.stringify(orchestrator)).not.toMatch(/host_ip|network_mode|"published"/);
  });

  it('nginx is in front: the only published port, the compose site mounted as its default server', () => {
    const published = Object.entries(compose.services).filter(([, s]) => s.ports?.length);
    expect(published.map(([name]) => name)).toEqual(['nginx']);
    expect(nginx.ports).toEqual(['8000:8000']);
    expect(nginx.volumes).toContain('./deploy/nginx/compose.conf:/etc/nginx/conf.d/default.conf:ro');
    expect(nginx.depends_on).toEqual(['orchestrator']);
  });

  it('a postgres service with a healthcheck and a volume; orchestrators wait until it is healthy', () => {
    expect(postgres.image).toMatch(/^postgres:(1[5-9]|[2-9]\d)\b/);
    expect(postgres.healthcheck?.test).toEqual(expect.arrayContaining(['pg_isready']));
    const [volume] = postgres.volumes ?? [];
    expect(volume).toBe('postgres-data:/var/lib/postgresql/data');
    expect(compose.volumes).toHaveProperty('postgres-data');
    expect(orchestrator.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  });

  it('the shared secrets come from one place: the environment or .env, and one key file', () => {
    const env = orchestrator.environment;
    expect(env.ORCHESTRATOR_JWT_SECRET).toMatch(/^\$\{ORCHESTRATOR_JWT_SECRET:\?/);
    expect(env.ORCHESTRATOR_DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
    expect(postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    // The audit signing key: a compose secret (one host file), mounted at /run/secrets/<name>.
    expect(orchestrator.secrets).toHaveLength(1);
    const [name] = orchestrator.secrets!;
    expect(env.ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE).toBe(`/run/secrets/${name}`);
    expect(compose.secrets?.[name]?.file).toBe('./secrets/audit-signing-key.pem');
    // The key never goes into the image or the repository.
    expect(read('.dockerignore').split('\n')).toContain('secrets');
    expect(read('.gitignore').split('\n')).toContain('secrets/');
  });

  it("a replica's effective config: postgres, the shared key, and a connection budget postgres admits", () => {
    const env = Object.fromEntries(
      Object.entries(orchestrator.environment).map(([k, v]) => [
        k,
        v.replace(/\$\{(\w+)[^}]*\}/g, (_, name: keyof typeof SHARED) => SHARED[name]),
      ]),
    );
    const values = configShow(null, { NODE_ENV: 'production', ...env });
    expect(values['state.backend']).toBe('postgres');
    expect(values['database.url']).toMatch(/^postgres:\/\/orchestrator:.*@postgres:5432\/orchestrator$/);
    expect(values['audit.signing_key_file']).toBe(env.ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE);
    // Agents' files on the volume every replica mounts (a named one, shared on the host).
    const shared = (orchestrator.volumes ?? []).find((v) => !v.startsWith('.') && !v.endsWith(':ro'))!;
    const [volume, mountPath] = shared.split(':');
    expect(compose.volumes).toHaveProperty(volume);
    expect(String(values['tools.workspace_root'])).toMatch(new RegExp(`^${mountPath}/`));
    // The guide's three instances, each with every worker's pool full and its LISTEN connection.
    const perInstance =
      Number(values['server.workers']) *
      (Number(values['database.pool_size']) + Number(values['database.max_overflow']) + 1);
    const maxConnections = Number(/^max_connections=(\d+)$/.exec(postgres.command![2])![1]);
    expect(postgres.command!.slice(0, 2)).toEqual(['postgres', '-c']);
    expect(values['server.workers']).toBe(4);
    expect(3 * perInstance).toBeLessThanOrEqual(maxConnections - 3); // 3: superuser_reserved_connections
  });

  it('docker-compose.file-store.yml stays the one-instance file-store deployment', () => {
    const single = composeConfig('docker-compose.file-store.yml', SHARED);
    expect(single.code).toBe(0);
    const file = parse(read('docker-compose.file-store.yml')) as ComposeFile;
    expect(Object.keys(file.services)).toEqual(['orchestrator']);
    expect(file.services.orchestrator.environment.ORCHESTRATOR_STATE_BACKEND).toBeUndefined();
  });
});

describe('deploy/nginx/compose.conf: nginx in front of the scaled service', () => {
  const site = read('deploy/nginx/compose.conf');

  it("re-resolves the replicas through Docker's DNS at request time", () => {
    expect(site).toMatch(/^resolver 127\.0\.0\.11 valid=\d+s/m);
    // The compose service name, through a variable: resolved per request, not once at start.
    expect(site).toMatch(/^\s*set \$orchestrator http:\/\/orchestrator:8000;$/m);
    const targets = [...site.matchAll(/proxy_pass (\S+);/g)].map((m) => m[1]);
    expect(targets.length).toBeGreaterThanOrEqual(4);
    expect(new Set(targets)).toEqual(new Set(['$orchestrator']));
    expect(site).not.toMatch(/^\s*upstream /m);
  });

  it('passes Server-Sent Events unbuffered with a long read timeout', () => {
    expect(site).toMatch(
      /location = \/api\/v1\/events\/stream \{[^}]*proxy_buffering off;[^}]*proxy_read_timeout 1h;/,
    );
    expect(site).toMatch(/location \/api\/ \{[^}]*limit_req zone=orchestrator_api/);
  });

  it('nginx -t accepts it', () => {
    const r = nginxTestSite(site);
    expect(r.output).toContain('test is successful');
    expect(r.code).toBe(0);
  });
});

describe('deploy/nginx/orchestrator-cluster.conf: the guide’s three-server upstream', () => {
  const site = read('deploy/nginx/orchestrator-cluster.conf');
  const upstream = /^upstream orchestrator \{([^}]*)\}/m.exec(site)![1];
  const servers = [...upstream.matchAll(/^\s*server (\S+)(.*);$/gm)].map((m) => [m[1], m[2].trim()]);

  it('least_conn over three servers, each with max_fails=3', () => {
    expect(upstream).toMatch(/^\s*least_conn;$/m);
    expect(servers).toEqual([
      ['orchestrator-1.internal:8000', 'max_fails=3 fail_timeout=30s'],
      ['orchestrator-2.internal:8000', 'max_fails=3 fail_timeout=30s'],
      ['orchestrator-3.internal:8000', 'max_fails=3 fail_timeout=30s'],
    ]);
  });

  it('serves exactly what the single-instance site serves (SSE, rate limits, TLS)', () => {
    const afterUpstream = (text: string) =>
      text.slice(text.indexOf('}', text.indexOf('upstream orchestrator')));
    expect(afterUpstream(site)).toBe(afterUpstream(read('deploy/nginx/orchestrator.conf')));
    expect(site).toMatch(
      /location = \/api\/v1\/events\/stream \{[^}]*proxy_buffering off;[^}]*proxy_read_timeout 1h;/,
    );
  });

  it('nginx -t accepts it, the three hosts standing on loopback addresses', () => {
    // nginx resolves upstream names during -t: map each host to a loopback address of its own.
    let n = 0;
    const onLoopback = site.replace(/orchestrator-\d\.internal:8000/g, () => `127.0.0.${++n}:8000`);
    expect(n).toBe(3);
    const r = nginxTestSite(onLoopback);
    expect(r.output).toContain('test is successful');
    expect(r.code).toBe(0);
  });
});

/** The parts of a rendered Deployment these checks read. */
interface PodSpec {
  affinity?: {
    podAntiAffinity?: {
      preferredDuringSchedulingIgnoredDuringExecution?: Array<{
        weight: number;
        podAffinityTerm: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } };
      }>;
    };
  };
  hostNetwork?: boolean;
  initContainers?: Container[];
  containers: Container[];
  volumes: Array<Record<string, unknown> & { name: string }>;
}
interface Container {
  name: string;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }>;
  ports?: Array<{ containerPort: number; hostPort?: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  readinessProbe?: { httpGet?: { path: string } };
  livenessProbe?: { httpGet?: { path: string } };
}
interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  strategy: { type: string; rollingUpdate?: { maxUnavailable?: number } };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const OVERLAY = 'k8s/overlays/postgres-multi-replica';

describe(`${OVERLAY}: replicas: 3, and kubectl scale … --replicas=5`, () => {
  const objects = kustomize(OVERLAY);
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const deployment = of('Deployment')[0] as Manifest & { spec: DeploymentSpec };
  const pod = deployment.spec.template.spec;
  const server = pod.containers.find((c) => c.name === 'orchestrator')!;
  const labels = deployment.spec.template.metadata.labels;
  const selects = (selector: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('kubectl kustomize renders the base and every overlay', () => {
    // An overlay inside its base's directory is refused ("cycle detected"): this renders each.
    expect(kustomize('k8s').map((o) => o.kind)).toContain('Deployment');
    expect(kustomize('k8s/overlays/command-sandbox').map((o) => o.kind)).toContain('Deployment');
    expect(of('Deployment')).toHaveLength(1);
    expect(of('StatefulSet')).toHaveLength(0);
  });

  it('three replicas, rolled one at a time with none down, on the postgres backend', () => {
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    expect(deployment.spec.strategy.rollingUpdate?.maxUnavailable).toBe(0);
    expect(server.env).toContainEqual({ name: 'ORCHESTRATOR_STATE_BACKEND', value: 'postgres' });
  });

  it('readiness on /health/ready (it checks the database), liveness on /health/live', () => {
    expect(server.readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(server.livenessProbe?.httpGet?.path).toBe('/health/live');
  });

  it('a PodDisruptionBudget over the same pods that lets one go at any replica count', () => {
    const [pdb] = of('PodDisruptionBudget') as Array<{
      spec: {
        selector: { matchLabels: Record<string, string> };
        maxUnavailable?: number;
        minAvailable?: number;
      };
    }>;
    expect(pdb).toBeDefined();
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable ?? null).toBe(1);
    expect(pdb.spec.minAvailable).toBeUndefined();
  });

  it('the Service reaches every replica', () => {
    const [service] = of('Service') as Array<{ spec: { selector: Record<string, string> } }>;
    expect(selects(service.spec.selector)).toBe(true);
  });

  it('nothing per pod: no hostPort or hostNetwork, no ReadWriteOnce claim, one source per volume', () => {
    expect(pod.hostNetwork).toBeUndefined();
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])])
      for (const p of c.ports ?? []) expect([c.name, p.hostPort]).toEqual([c.name, undefined]);
    const claims = of('PersistentVolumeClaim') as Array<Manifest & { spec: { accessModes: string[] } }>;
    for (const claim of claims)
      expect([claim.metadata.name, claim.spec.accessModes]).toEqual([claim.metadata.name, ['ReadWriteMany']]);
    const claimed = pod.volumes.filter((v) => v.persistentVolumeClaim);
    for (const v of claimed) {
      const name = (v.persistentVolumeClaim as { claimName: string }).claimName;
      expect(claims.map((c) => c.metadata.name)).toContain(name);
    }
    // A strategic merge keeps both sources when a patch sets one and the base had another.
    for (const v of pod.volumes)
      expect([v.name, Object.keys(v).filter((k) => k !== 'name')]).toEqual([v.name, [expect.any(String)]]);
  });

  it('prefers replicas on different nodes', () => {
    const [term] = pod.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(term.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(selects(term.podAffinityTerm.labelSelector.matchLabels)).toBe(true);
  });

  it('the shared secrets (token secret, database URL, audit key) all come from one Secret', () => {
    const env = new Map((server.env ?? []).map((e) => [e.name, e]));
    const refs = [...(server.env ?? []), ...pod.containers.flatMap((c) => c.env ?? [])]
      .map((e) => e.valueFrom?.secretKeyRef)
      .filter((ref) => ref !== undefined);
    const secretVolumes = pod.volumes
      .map((v) => v.secret as { secretName: string; items?: Array<{ key: string }> } | undefined)
      .filter((s) => s !== undefined);
    const names = new Set([...refs.map((r) => r.name), ...secretVolumes.map((s) => s.secretName)]);
    expect([...names]).toEqual(['orchestrator-secrets']);
    expect(env.get('ORCHESTRATOR_JWT_SECRET')?.valueFrom?.secretKeyRef?.key).toBe('jwt-secret');
    expect(env.get('ORCHESTRATOR_DATABASE_URL')?.valueFrom?.secretKeyRef?.key).toBe('database-url');
    expect(secretVolumes.flatMap((s) => s.items?.map((i) => i.key) ?? [])).toEqual(['audit-signing-key.pem']);
    // The example Secret shows every key a required reference names.
    const example = parseAllDocuments(read('k8s/secret.example.yaml'))[0].toJS() as {
      metadata: { name: string };
      stringData: Record<string, string>;
    };
    expect(example.metadata.name).toBe('orchestrator-secrets');
    const required = refs.filter((r) => !r.optional).map((r) => r.key);
    expect(Object.keys(example.stringData)).toEqual(
      expect.arrayContaining([...required, 'audit-signing-key.pem']),
    );
  });

  it("a pod's effective config: postgres, the copied key, and the workspace on the shared claim", () => {
    const [configMap] = of('ConfigMap') as unknown as Array<{ data: Record<string, string> }>;
    const env = Object.fromEntries(
      (server.env ?? [])
        .filter((e) => e.value !== undefined && e.name !== 'ORCHESTRATOR_CONFIG')
        .map((e) => [e.name, e.value!]),
    );
    const values = configShow(configMap.data['orchestrator.yaml'], {
      NODE_ENV: 'production',
      ...env,
      ORCHESTRATOR_JWT_SECRET: 'cd'.repeat(32),
      ORCHESTRATOR_DATABASE_URL: 'postgres://orchestrator:pw@db.internal:5432/orchestrator',
    });
    expect(values['state.backend']).toBe('postgres');
    // The init container writes the key where the server reads it, on a volume both mount.
    const [init] = pod.initContainers ?? [];
    const keyFile = String(values['audit.signing_key_file']);
    expect(init.volumeMounts?.some((m) => !m.readOnly && keyFile.startsWith(`${m.mountPath}/`))).toBe(true);
    const workspaceMount = server.volumeMounts!.find(
      (m) => String(values['tools.workspace_root']) === m.mountPath,
    )!;
    const volume = pod.volumes.find((v) => v.name === workspaceMount.name)!;
    expect(volume.persistentVolumeClaim).toEqual({ claimName: 'orchestrator-workspace' });
  });
});
