import { describeScanSourceContract, useTestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { PostgresSink, connectPostgres } from '../src/index.js';
import { createContractTable } from './fixtures.js';

const db = useTestDatabase();

describeScanSourceContract('postgres', {
  connect: async () => connectPostgres({ url: db().url }),
  createTable: async (table) => {
    const client = new pg.Client({ connectionString: db().url });
    await client.connect();
    try {
      return await createContractTable(client, table);
    } finally {
      await client.end();
    }
  },
  sink: {
    openSink: async () => PostgresSink.open({ url: db().url }),
    openTarget: async () => connectPostgres({ url: db().url }),
  },
});
