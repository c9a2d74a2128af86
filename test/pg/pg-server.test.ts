import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from './pg-server.js';

const pgStatus = postgresAvailability();
if (!pgStatus.available) console.warn(pgStatus.reason);

describe.skipIf(!pgStatus.available)('the test PostgreSQL server', () => {
  let server: PgServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(() => server?.stop());

  it('serves SQL on a loopback port and comes back after a restart', async () => {
    const query = async (): Promise<number> => {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        return (await client.query<{ n: number }>('select 41 + 1 as n')).rows[0]!.n;
      } finally {
        await client.end();
      }
    };
    expect(await query()).toBe(42);
    await server.restart();
    expect(await query()).toBe(42);
  }, 60_000);
});
