/**
 * Transactions one database committed or rolled back over a window, from pg_stat_database: per
 * request, it shows how well the instances batch their writes (audit sealing and event numbering
 * take one transaction per batch, so smaller batches mean more transactions a request).
 * PostgreSQL flushes a backend's counters about once a second, so a window of a few seconds is
 * counted to within about a second's worth at each end.
 */
import pg from 'pg';

export async function databaseTransactions(adminUrl, name) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const read = async () => {
    const { rows } = await client.query(
      'SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = $1',
      [name],
    );
    return Number(rows[0]?.n ?? 0);
  };
  const before = await read();
  return {
    async stop() {
      try {
        return (await read()) - before;
      } finally {
        await client.end();
      }
    },
  };
}
