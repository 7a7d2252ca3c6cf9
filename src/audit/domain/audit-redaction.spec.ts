import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../common/domain/domain-error.js';
import { slowdown } from '../../common/domain/testing/linear-time.js';
import { REDACTED } from '../../common/domain/redaction.js';
import { prepareEntry } from './audit-entry-input.js';
import {
  DEFAULT_AUDIT_REDACTION,
  capId,
  capText,
  isAuditSecretKey,
  redactAuditText,
  redactAuditValue,
} from './audit-redaction.js';
import { canonicalJson } from './canonical-json.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZ2VudC0wMDEiLCJ0eXAiOiJwaGFzZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('audit redaction', () => {
  it('redacts secret-looking keys at any depth, and JWTs anywhere', () => {
    const out = redactAuditValue({
      token: 'abc',
      nested: {
        deeper: [{ password: 'hunter2', ssh_key: 'k', signingKey: 'k2', db_pass: 'p', keys: ['a'] }],
      },
      note: `header was Bearer ${JWT}`,
      raw: JWT,
      tokens_used: 42,
      pin: 1234,
    });
    expect(out).toEqual({
      token: '[redacted]',
      nested: {
        deeper: [
          {
            password: '[redacted]',
            ssh_key: '[redacted]',
            signingKey: '[redacted]',
            db_pass: '[redacted]',
            keys: ['a'],
          },
        ],
      },
      note: 'header was Bearer [redacted]',
      raw: '[redacted]',
      tokens_used: 42,
      pin: '[redacted]',
    });
  });

  it('redacts credentials inside free text such as shell commands', () => {
    const text = [
      'curl -u bob https://bob:s3cr3tpw@example.com/x',
      'export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'mysql --password hunter2 -e select',
      'DB_PASSWORD="pa55word" ./run',
      'aws AKIAABCDEFGHIJKLMNOP',
      '{"api_key": "sk-live-1234567890abcdefghij"}',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
    ].join('\n');
    const out = redactAuditText(text);
    for (const secret of [
      's3cr3tpw',
      'ghp_abcdef',
      'hunter2',
      'pa55word',
      'AKIAABCDEFGHIJKLMNOP',
      'sk-live',
      'MIIEpAIBAAKCAQEA',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('https://bob:[redacted]@example.com/x');
    expect(out).toContain('mysql --password [redacted] -e select');
  });

  it('scrubs the literal secrets it is given, wherever they appear', () => {
    const options = { ...DEFAULT_AUDIT_REDACTION, secrets: ['the-signing-secret-value', 'short'] };
    expect(
      redactAuditValue({ cmd: 'echo the-signing-secret-value | base64', short: 'a short word' }, options),
    ).toEqual({
      cmd: 'echo [redacted] | base64',
      short: 'a short word',
    });
  });

  it('replaces long strings by their UTF-8 length and SHA-256', () => {
    const content = 'x'.repeat(5000);
    expect(redactAuditValue({ content, short: 'ok' })).toEqual({
      content: { length: 5000, sha256: sha(content) },
      short: 'ok',
    });
    const wide = 'é'.repeat(1500); // 3000 bytes, 1500 characters
    expect(redactAuditValue(wide)).toEqual({ length: 3000, sha256: sha(wide) });
    expect(redactAuditValue('é'.repeat(1000))).toBe('é'.repeat(1000));
  });

  it('honours a configured string cap', () => {
    const options = { ...DEFAULT_AUDIT_REDACTION, maxStringBytes: 10 };
    expect(redactAuditValue('0123456789', options)).toBe('0123456789');
    expect(redactAuditValue('0123456789a', options)).toEqual({ length: 11, sha256: sha('0123456789a') });
  });

  it('digests binary data instead of writing it', () => {
    const bytes = Buffer.from('binary secret');
    expect(redactAuditValue({ data: bytes })).toEqual({ data: { length: 13, sha256: sha('binary secret') } });
  });

  it('bounds depth, width and cycles', () => {
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 20; i++) cursor = cursor['n'] = {};
    const json = JSON.stringify(redactAuditValue(deep));
    expect(json).toContain('"[too deep]"');
    expect(json.split('"n"').length - 1).toBe(DEFAULT_AUDIT_REDACTION.maxDepth);

    const list = redactAuditValue(Array.from({ length: 150 }, (_, i) => i)) as unknown[];
    expect(list).toHaveLength(101);
    expect(list[100]).toBe('[… 50 more items]');

    const wide = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`k${i}`, i]));
    const obj = redactAuditValue(wide) as Record<string, unknown>;
    expect(Object.keys(obj)).toHaveLength(101);
    expect(obj['…']).toBe('20 more keys');

    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(redactAuditValue(cyclic)).toEqual({ a: 1, self: '[circular]' });
    const shared = { x: 1 };
    expect(redactAuditValue({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });

  it('digests a whole value whose redacted JSON is still too large', () => {
    const files = Array.from({ length: 50 }, (_, i) => ({
      path: `src/file-${i}.ts`,
      content: 'y'.repeat(1000),
    }));
    const redacted = redactAuditValue({ files }, DEFAULT_AUDIT_REDACTION);
    expect(redacted).toEqual({ length: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((redacted as { length: number }).length).toBeGreaterThan(DEFAULT_AUDIT_REDACTION.maxValueBytes);
    expect(canonicalJson(redacted).length).toBeLessThan(200);
  });

  it('maps non-JSON values to JSON', () => {
    expect(
      redactAuditValue({
        when: new Date(Date.UTC(2026, 0, 2)),
        big: 10n,
        nan: Number.NaN,
        fn: () => 1,
        err: new Error(`bad ${JWT}`),
        map: new Map([['password', 'x']]),
        undef: undefined,
      }),
    ).toEqual({
      when: '2026-01-02T00:00:00.000Z',
      big: '10',
      nan: null,
      fn: null,
      err: { name: 'Error', message: 'bad [redacted]' },
      map: { password: '[redacted]' },
      undef: null,
    });
  });

  it('scrubs keys as well as values', () => {
    expect(redactAuditValue({ [JWT]: 1 })).toEqual({ '[redacted]': 1 });
  });

  it('classifies keys', () => {
    for (const key of [
      'token',
      'phase_token',
      'api_key',
      'Authorization',
      'ssh_key',
      'accessKey',
      'passphrase',
      'jwt',
    ])
      expect(isAuditSecretKey(key)).toBe(true);
    for (const key of ['keys', 'monkey', 'path', 'content', 'keyboard', 'key_count'])
      expect(isAuditSecretKey(key)).toBe(false);
  });

  it('caps identifiers and free text, keeping the size and digest of what was cut', () => {
    expect(capId('a'.repeat(300))).toMatch(/^a{232}…\[\+68 chars\]$/);
    const reason = `denied: ${'z'.repeat(4000)}`;
    const capped = capText(reason);
    expect(capped.length).toBeLessThan(1200);
    expect(capped).toContain(`[truncated: ${reason.length} bytes, sha256 ${sha(reason)}]`);
    expect(capText(`bad token ${JWT}`)).toBe('bad token [redacted]');
  });
});

describe('prepareEntry', () => {
  const base = { actor: 'agent-1', action: 'tool.execute', decision: 'allowed', success: true } as const;

  it('fills absent fields with null and redacts every free-form field', () => {
    const entry = prepareEntry({
      ...base,
      args: { command: `curl -H "Authorization: Bearer ${JWT}"` },
      reason: `token ${JWT} expired`,
      blockers: [{ message: `saw ${JWT}` }],
      details: { password: 'x' },
      request_id: JWT,
      duration_ms: 1.23456,
    });
    expect(entry).toEqual({
      actor: 'agent-1',
      role: null,
      action: 'tool.execute',
      decision: 'allowed',
      success: true,
      task_id: null,
      phase: null,
      tool: null,
      args: { command: 'curl -H "Authorization: Bearer [redacted]"' },
      reason: 'token [redacted] expired',
      blockers: [{ message: 'saw [redacted]' }],
      details: { password: '[redacted]' },
      duration_ms: 1.235,
      request_id: '[redacted]',
    });
    expect(JSON.stringify(entry)).not.toContain('eyJ');
  });

  it('refuses malformed entries with invalid_audit_entry', () => {
    const bad = [
      { ...base, actor: '' },
      { ...base, action: 'Task Claim' },
      { ...base, decision: '' },
      { ...base, success: 'yes' },
      { ...base, duration_ms: -1 },
      { ...base, duration_ms: Number.NaN },
      { ...base, blockers: 'x' },
      { ...base, task_id: 7 },
    ];
    for (const input of bad) {
      expect(() => prepareEntry(input as never)).toThrow(InvalidInputError);
      try {
        prepareEntry(input as never);
      } catch (error) {
        expect((error as InvalidInputError).code).toBe('invalid_audit_entry');
      }
    }
  });
});

describe('audit redaction runs in linear time', () => {
  const size = 64 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const baseline = fill(
    'password=hunter2 --token abc https://u:p@host/x ghp_012345678901234567890123456789AB plain words ',
  );

  it.each([
    ['a credential word repeated (one word)', fill('token')],
    ['a long word ending in a key word', `${'a'.repeat(size)}key`],
    ['a word of name characters and a hint', `key${'a'.repeat(size)}`],
    ['assignments without values', fill('token= ')],
    ['assignments chained in one word', fill('a=')],
    ['dotted scheme characters', `${fill('a.')}://`],
    ['scheme starts without passwords', fill('a://b:')],
    ['a user part without a password', `a://${'b'.repeat(size)}`],
    ['a password without an @', `a://b:${'c'.repeat(size)}`],
    ['known-token prefixes', fill('ghp_')],
    ['a known token without a word boundary', `ghp_${'a'.repeat(size)}_`],
    ['flags without values', fill('--token ')],
    ['private key headers', fill('-----BEGIN PRIVATE KEY-----')],
    ['an unterminated private key header', `-----BEGIN ${'A'.repeat(size)}`],
  ])('%s: no slower than 50× ordinary text of the same size', (_name, attack) => {
    expect(slowdown((text) => redactAuditText(text), attack, baseline)).toBeLessThan(50);
  });

  it('redacts what the regexes it replaces redacted', () => {
    const assignment =
      /([A-Za-z0-9_.-]*(?:passw(?:or)?d|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential)[A-Za-z0-9_.-]*)(["']?\s*[:=]\s*["']?)(?!\[redacted\])([^\s"'&,;})\]]+)/gi;
    const urlPassword = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi;
    const alphabet = [
      'token',
      'pwd',
      'a',
      'B',
      '=',
      ':',
      '"',
      ' ',
      '.',
      '-',
      '//',
      '@',
      '[redacted]',
      ';',
      'x://',
    ];
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: 3 + (next() % 30) }, () => alphabet[next() % alphabet.length]).join(
        '',
      );
      const reference = text.replace(urlPassword, `$1${REDACTED}@`).replace(assignment, `$1$2${REDACTED}`);
      expect(redactAuditText(text)).toBe(reference);
    }
  });
});
