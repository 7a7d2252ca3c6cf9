import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule, DocumentBuilder } from '@nestjs/swagger';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { AllExceptionsFilter } from '../common/http/all-exceptions.filter.js';
import { AppConfig } from '../config/app-config.js';
import { OrchestratorConfig } from '../config/config.schema.js';
import { HealthRegistry } from '../health/health-registry.js';
import { StatusRegistry } from '../status/status-registry.js';
import { WorkflowHealthIndicator } from './workflow.health.js';
import { WorkflowModule } from './workflow.module.js';
import { WorkflowRegistry } from './workflow.registry.js';

function configFor(path: string, defaultName: string | null = null): AppConfig {
  const values = new OrchestratorConfig();
  values.workflow.path = path;
  values.workflow.default = defaultName;
  return new AppConfig(values, {}, null, process.cwd());
}

async function appWith(config: AppConfig): Promise<NestFastifyApplication> {
  @Global()
  @Module({
    providers: [
      { provide: AppConfig, useValue: config },
      HealthIndicatorService,
      HealthRegistry,
      StatusRegistry,
    ],
    exports: [AppConfig, HealthRegistry, StatusRegistry],
  })
  class TestHostModule {}

  const moduleRef = await Test.createTestingModule({
    imports: [TestHostModule, WorkflowModule],
    providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  // Real HTTP on an ephemeral port: Fastify's inject() needs require(esm), which Jest on Node 20 lacks.
  try {
    await app.listen(0, '127.0.0.1');
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}

describe('WorkflowModule', () => {
  let app: NestFastifyApplication;
  const get = async (url: string) => {
    const res = await fetch(`${await app.getUrl()}${url}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    app = await appWith(configFor('test/fixtures/workflows/multi', 'review_only'));
  });
  afterAll(() => app.close());

  it('loads the workflows from config at start-up', () => {
    const registry = app.get(WorkflowRegistry);
    expect(registry.isLoaded()).toBe(true);
    expect(registry.getDefault()).toMatchObject({ name: 'review_only', version: '1.10' });
    expect(registry.get('review_only', '1.0').version).toBe('1.0');
    expect(registry.list()).toHaveLength(3);
  });

  it('GET /api/v1/workflows lists them with the default', async () => {
    const { status, body } = await get('/api/v1/workflows');
    expect(status).toBe(200);
    expect(body.default_workflow).toBe('review_only');
    expect(body.workflows).toEqual([
      {
        name: 'hotfix',
        version: '0.3',
        description: null,
        mode: 'strict',
        phases: ['FIX', 'DONE'],
        is_default: false,
      },
      expect.objectContaining({ name: 'review_only', version: '1.10', is_default: true }),
      expect.objectContaining({ name: 'review_only', version: '1.0', is_default: false }),
    ]);
  });

  it('GET /api/v1/workflows/:name returns one workflow, a version on request', async () => {
    const { status, body } = await get('/api/v1/workflows/hotfix');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      name: 'hotfix',
      enforcement: { mode: 'strict' },
      phases: [{ id: 'FIX', allowed_tools: ['read_files', 'write_files'], gates: [] }, { id: 'DONE' }],
      transitions: [{ from: 'FIX', to: 'DONE', gate: null, requires_token: true }],
      is_default: false,
    });
    expect((await get('/api/v1/workflows/review_only?version=1.0')).body).toMatchObject({
      version: '1.0',
      is_default: false,
    });
  });

  it('answers 404 workflow_not_found for an unknown name or version', async () => {
    expect(await get('/api/v1/workflows/nope')).toEqual({
      status: 404,
      body: {
        statusCode: 404,
        error: 'Not Found',
        code: 'workflow_not_found',
        message: "workflow 'nope' is not loaded",
        detail: "workflow 'nope' is not loaded",
      },
    });
    expect((await get('/api/v1/workflows/hotfix?version=9')).body).toMatchObject({
      code: 'workflow_not_found',
    });
  });

  it('registers a workflow readiness indicator and status fields', async () => {
    expect(app.get(HealthRegistry).names()).toContain('workflow');
    expect(await app.get(WorkflowHealthIndicator).isHealthy()).toEqual({
      workflow: { status: 'up', name: 'review_only', version: '1.10', enforcement_mode: 'strict', loaded: 3 },
    });
    expect(await app.get(StatusRegistry).collect()).toEqual({
      workflow: { name: 'review_only', version: '1.10', enforcement_mode: 'strict', loaded: 3 },
    });
  });

  it('documents the routes in OpenAPI under the workflows tag', () => {
    const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    expect(doc.paths['/api/v1/workflows']?.get?.tags).toEqual(['workflows']);
    const one = doc.paths['/api/v1/workflows/{name}']?.get;
    expect(Object.keys(one?.responses ?? {})).toEqual(['200', '404']);
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining([
        'WorkflowListDto',
        'WorkflowDetailDto',
        'PhaseDto',
        'GateDto',
        'ToolConstraintDto',
      ]),
    );
  });

  it('fails start-up with every problem when a workflow does not load', async () => {
    await expect(appWith(configFor('test/fixtures/workflows/multi'))).rejects.toThrow(
      /several workflows \(hotfix, review_only\) and no default/,
    );
  });

  it('reports down when the workflows cannot be loaded', () => {
    const registry = new WorkflowRegistry(configFor('no/such/path.yaml'));
    const indicator = new WorkflowHealthIndicator(registry, app.get(HealthIndicatorService));
    expect(indicator.isHealthy()).toEqual({
      workflow: { status: 'down', message: 'workflow not loaded: workflow failed to load (1 problem):' },
    });
  });
});
