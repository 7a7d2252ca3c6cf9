import { UnauthorizedError } from '../../common/domain/domain-error.js';
import { ROLES, type TokenType } from './token-claims.js';

/**
 * Why a correctly signed token is still unusable: `token_claim_missing`, `token_claim_invalid`,
 * `unknown_role` or `unknown_token_type`, with a message naming the claim.
 */
export type ClaimsProblem = UnauthorizedError;

const TOKEN_TYPES: readonly TokenType[] = ['access', 'phase'];
/** Longest `sub` accepted: the API's subject rule is 128; leave room for older tokens' ids. */
const MAX_SUBJECT_LENGTH = 256;

type Check = (value: unknown) => string | undefined;

const wholeSeconds: Check = (v) =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'must be a whole number of seconds';
const nonEmptyString: Check = (v) =>
  typeof v === 'string' && v !== '' && v.length <= MAX_SUBJECT_LENGTH
    ? undefined
    : `must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`;
const stringList: Check = (v) =>
  Array.isArray(v) && v.every((t) => typeof t === 'string') ? undefined : 'must be a list of strings';
const version: Check = (v) =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'must be a whole number';

/** Claims every token carries, then those of each type (DESIGN.md §4). */
const COMMON: Record<string, Check> = {
  sub: nonEmptyString,
  iat: wholeSeconds,
  exp: wholeSeconds,
  jti: nonEmptyString,
};
const BY_TYPE: Record<TokenType, Record<string, Check>> = {
  access: { orig_iat: wholeSeconds },
  phase: { task_id: nonEmptyString, phase: nonEmptyString, allowed_tools: stringList, ver: version },
};

/**
 * Checks the claims of a token whose signature is already verified. A token signed with the real
 * secret but without `exp` would never expire, without `jti` could not be revoked, and an object
 * `sub` would reach every comparison and audit entry: all are refused, whoever minted them.
 */
export function claimsProblem(claims: Record<string, unknown>): ClaimsProblem | undefined {
  const typ = claims.typ;
  if (typ === undefined) return missing('token', 'typ');
  if (!TOKEN_TYPES.includes(typ as TokenType)) {
    return new UnauthorizedError(
      'unknown_token_type',
      `token type ${describe(typ)} is not one of ${TOKEN_TYPES.join(', ')}`,
    );
  }
  const kind = typ as TokenType;
  for (const [name, check] of Object.entries({ ...COMMON, ...BY_TYPE[kind] })) {
    if (!Object.hasOwn(claims, name) || claims[name] === undefined || claims[name] === null)
      return missing(kind, name);
    const problem = check(claims[name]);
    if (problem) return invalid(kind, name, problem);
  }
  if ((claims.iat as number) > (claims.exp as number)) return invalid(kind, 'iat', 'is after exp');
  if (kind === 'access') {
    if (!ROLES.includes(claims.role as never)) {
      return claims.role === undefined || claims.role === null
        ? missing(kind, 'role')
        : new UnauthorizedError(
            'unknown_role',
            `access token role ${describe(claims.role)} is not one of ${ROLES.join(', ')}`,
          );
    }
    if ((claims.orig_iat as number) > (claims.iat as number))
      return invalid(kind, 'orig_iat', 'is after iat');
  }
  return undefined;
}

function missing(kind: string, name: string): ClaimsProblem {
  return new UnauthorizedError(
    'token_claim_missing',
    `${kind} token has no '${name}' claim: every token must carry typ, sub, iat, exp and jti`,
  );
}

function invalid(kind: string, name: string, problem: string): ClaimsProblem {
  return new UnauthorizedError('token_claim_invalid', `${kind} token claim '${name}' ${problem}`);
}

/** A claim value for a message: strings quoted and capped, other values by type only. */
function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value.slice(0, 32)}'` : `of type ${typeof value}`;
}
