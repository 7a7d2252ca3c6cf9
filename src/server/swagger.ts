import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
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
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at `/docs`, JSON at `/docs-json`. */
export function mountSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Workflow Orchestrator API',
  });
}
