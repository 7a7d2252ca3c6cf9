import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ErrorBodyDto } from '../common/http/error-body.dto.js';
import { packageInfo } from '../common/package-info.js';

export const ACCESS_TOKEN_SCHEME = 'access-token';

/** Builds the OpenAPI 3 document from the controllers and DTOs actually mounted. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Workflow Orchestrator API')
    .setDescription(
      'Control plane that makes AI coding agents follow an enforced workflow: tasks, phase tokens, ' +
        'tool authorization, gated transitions, audit and events.',
    )
    .setVersion(packageInfo.version)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token' },
      ACCESS_TOKEN_SCHEME,
    )
    .build();
  return withErrorBodies(SwaggerModule.createDocument(app, config, { extraModels: [ErrorBodyDto] }));
}

const ERROR_CONTENT = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBodyDto' } } };

/** Every documented 4xx/5xx answer carries the one error body (routes describe only when it happens). */
function withErrorBodies(document: OpenAPIObject): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      const responses = (operation as { responses?: Record<string, { content?: unknown }> }).responses;
      if (!responses) continue;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400 && !response.content) response.content = ERROR_CONTENT;
      }
    }
  }
  return document;
}

/** Swagger UI at `/docs`, JSON at `/docs-json`. */
export function mountSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Workflow Orchestrator API',
  });
}
