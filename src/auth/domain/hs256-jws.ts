import { createHmac, type KeyObject } from 'node:crypto';

/**
 * The compact JWS of `claims` signed with HMAC-SHA256: `base64url(header).base64url(claims).mac`,
 * with the header `{"alg":"HS256","typ":"JWT","kid":…}` — byte for byte what jsonwebtoken's
 * `sign` makes for the same claims, key and key id, without its option merging and checks
 * (several times the CPU of the HMAC itself; a claim and every transition mint a token).
 * `claims` must be JSON-shaped; the caller builds and checks them.
 */
export function signHs256(claims: object, key: KeyObject, kid: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })).toString('base64url');
  const signed = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
}
