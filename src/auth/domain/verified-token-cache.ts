/**
 * Claims of tokens whose signature was already verified, by token text. An agent sends the same
 * access and phase token with every tool call of a phase, and re-verifying them (two base64 and
 * JSON decodes plus an HMAC, twice) was the largest single cost of an authorization. Expiry is
 * still checked by the caller on every use; revocation and token version are checked elsewhere.
 * Bounded: the oldest entry goes first (a Map keeps insertion order).
 */
export class VerifiedTokenCache<C extends object> {
  private readonly entries = new Map<string, C>();

  constructor(private readonly capacity: number) {}

  get(token: string): C | undefined {
    return this.entries.get(token);
  }

  /** Remembers frozen claims (shared between requests, so nobody may change them). */
  set(token: string, claims: C): C {
    for (const value of Object.values(claims)) if (Array.isArray(value)) Object.freeze(value);
    const frozen = Object.freeze(claims);
    if (this.capacity <= 0) return frozen;
    if (this.entries.size >= this.capacity) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(token, frozen);
    return frozen;
  }

  get size(): number {
    return this.entries.size;
  }
}
