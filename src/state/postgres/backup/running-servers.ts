import type pg from 'pg';
import { UnavailableError } from '../../../common/domain/domain-error.js';
import { CLI_APPLICATION } from './cli-session.js';

/**
 * Refuses with `state_locked` while a server is connected to this database: servers name their
 * connections `orchestrator <instance id>` (database.module.ts); `orchestrator db` and this CLI
 * are not servers.
 */
export async function refuseRunningServers(client: pg.Client): Promise<void> {
  const result = await client.query<{ application_name: string; client_addr: string | null }>(
    `SELECT application_name, client_addr::text FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid()
       AND application_name LIKE 'orchestrator %' AND application_name NOT IN ('orchestrator db', $1)`,
    [CLI_APPLICATION],
  );
  if (result.rows.length === 0) return;
  const names = [...new Set(result.rows.map((r) => r.application_name))];
  throw new UnavailableError(
    'state_locked',
    `${names.length} orchestrator server(s) are connected to this database (${names.join(', ')}): stop them before \`state restore\`; nothing was changed`,
  );
}
