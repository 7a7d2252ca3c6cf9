import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TerminusModule } from '@nestjs/terminus';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { OrchestratorConfig } from '../config/config.schema.js';
import { BackendDatabase } from '../database/database.module.js';
import { InstanceInfo } from '../status/instance.js';
import { HealthRegistry } from '../health/health-registry.js';
import { FileStateRepository } from './file/file-state.repository.js';
import { MemoryStateRepository } from './memory-state.repository.js';
import { StateModule } from './state.module.js';
import { StateRepository } from './state.repository.js';

function configWith(baseDir: string, state: Partial<OrchestratorConfig['state']>): AppConfig {
  const values = new OrchestratorConfig();
  Object.assign(values.state, state);
  return new AppConfig(values, {}, null, baseDir);
}

async function moduleFor(config: AppConfig) {
  @Global()
  @Module({
    imports: [TerminusModule.forRoot({ logger: false })],
    providers: [
      { provide: AppConfig, useValue: config },
      HealthRegistry,
      { provide: BackendDatabase, useValue: new BackendDatabase(null) },
      { provide: InstanceInfo, useValue: new InstanceInfo() },
    ],
    exports: [AppConfig, HealthRegistry, TerminusModule, BackendDatabase, InstanceInfo],
  })
  class Deps {}
  const moduleRef = await Test.createTestingModule({ imports: [Deps, StateModule] }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('StateModule', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'state-module-'));
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('opens the file store at the configured path relative to the base dir, and closes it at shutdown', async () => {
    const moduleRef = await moduleFor(configWith(dir, { state_file: 'data/state.json' }));
    const repo = moduleRef.get(StateRepository);
    expect(repo).toBeInstanceOf(FileStateRepository);
    const [indicator] = moduleRef.get(HealthRegistry).readiness();
    expect(await indicator!()).toMatchObject({
      state_store: { status: 'up', backend: 'file', state_file: join(dir, 'data/state.json') },
    });
    const lock = JSON.parse(await readFile(join(dir, 'data', 'orchestrator.lock'), 'utf8'));
    expect(lock.pid).toBe(process.pid);
    await moduleRef.close();
    await expect(readFile(join(dir, 'data', 'orchestrator.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await repo.health()).status).toBe('down');
  });

  it('provides the memory store for backend memory', async () => {
    const moduleRef = await moduleFor(configWith(dir, { backend: 'memory' }));
    expect(moduleRef.get(StateRepository)).toBeInstanceOf(MemoryStateRepository);
    await moduleRef.close();
  });
});
