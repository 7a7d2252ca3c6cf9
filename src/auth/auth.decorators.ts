import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { type AccessClaims, type Role } from './domain/token-claims.js';

export const PUBLIC_ROUTE = 'orchestrator:public';
export const ROUTE_ROLES = 'orchestrator:roles';

/** A route anyone may call without a token (health, metrics, status). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** Roles admitted to a route (admin is admitted wherever operator is). */
export const Roles = (...roles: Role[]) => SetMetadata(ROUTE_ROLES, roles);

export interface AuthenticatedRequest extends FastifyRequest {
  principal?: AccessClaims;
}

/** The verified access-token claims of the caller. */
export const Principal = createParamDecorator((_data: unknown, ctx: ExecutionContext): AccessClaims => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('Principal used on a route without authentication');
  return principal;
});
