import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../src/index.js';

// A second file: proves per-file databases (harness.test.ts creates tables of the same names).
const db = useTestDatabase();

describe('per-file database', () => {
  it('starts empty even though other files create tables', async () => {
    const rows = await db().query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(rows).toEqual([]);
    await db().query('CREATE TABLE only_here (id int PRIMARY KEY)');
    await db().query('CREATE TABLE "Order Items" (id int PRIMARY KEY)');
  });
});
