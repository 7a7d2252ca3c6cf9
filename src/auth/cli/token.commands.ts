import { type Command, InvalidArgumentError, Option } from 'commander';
import { JwtService } from '@nestjs/jwt';
import { systemClock } from '../../common/domain/clock.js';
import { uuidGenerator } from '../../common/domain/ids.js';
import { loadConfig } from '../../config/config.loader.js';
import { resolveSigningSecret } from '../../config/signing-secret.js';
import { ROLES, type Role, SUBJECT_PATTERN } from '../domain/token-claims.js';
import { SigningKeys } from '../signing-keys.js';
import { TokenService } from '../token.service.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10)
    throw new InvalidArgumentError('must be a whole number of seconds, at least 10');
  return n;
}

function subject(value: string): string {
  if (!SUBJECT_PATTERN.test(value))
    throw new InvalidArgumentError('1 to 128 letters, digits and . _ @ : - only');
  return value;
}

/** `orchestrator token create`: mint an access token with the server's secret (same config, same dev-secret file). */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('access tokens');
  token
    .command('create')
    .description('print a signed access token')
    .addOption(new Option('--role <role>', 'agent, operator or admin').choices(ROLES).makeOptionMandatory())
    .requiredOption('--subject <subject>', 'who the token is for, e.g. agent-001', subject)
    .option('--ttl <seconds>', 'lifetime in seconds (default security.token_expiry_seconds)', positiveInt)
    .option('-c, --config <path>', 'config file')
    .option('--json', 'print the claims too, as JSON')
    .action((opts: { role: Role; subject: string; ttl?: number; config?: string; json?: boolean }) => {
      const config = loadConfig({ configPath: opts.config });
      const { secret, warnings } = resolveSigningSecret(config);
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      const tokens = new TokenService(
        new JwtService(),
        new SigningKeys(secret),
        config,
        systemClock,
        uuidGenerator,
      );
      const minted = tokens.mintAccess({ role: opts.role, subject: opts.subject, ttlSeconds: opts.ttl });
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ token: minted.token, claims: minted.claims }, null, 2)}\n`
          : `${minted.token}\n`,
      );
    });
}
