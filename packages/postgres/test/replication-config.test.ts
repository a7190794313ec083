import { createHash } from 'node:crypto';
import { embeddedPipelines, parseConfig, runPipeline, type PipelineConfig } from '@cdc/core';
import { createTestDatabase, useTestDatabase, type TestDatabase } from '@cdc/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresReplication } from '../src/postgres-change-source.js';

// A configuration file's transforms, batching and slot, end to end on two real databases:
// PostgreSQL logical decoding → engine → PostgreSQL sink.
const src = useTestDatabase('cdc_cfg_src');
let target: TestDatabase;
beforeAll(async () => {
  target = await createTestDatabase('cdc_cfg_dst');
});
afterAll(async () => {
  await target.drop();
});

const slot = `cdc_cfg_${process.pid}`;

function pipeline(): PipelineConfig {
  const config = parseConfig(
    `connections:
  src: { url: postgres://unused/src }
  dst: { url: postgres://unused/dst }
pipelines:
  - name: crm
    source: src
    target: dst
    targetSchema: mirror
    hashSalt: \${SALT}
    slot: ${slot}
    batch: { maxRows: 7, maxDelayMs: 0 }
    tables:
      - source: public.people
        rename: { email_address: email, id: person_id }
        mask: { email_address: hash, ssn: redact, phone: 'null' }
        deletes: soft
`,
    { env: { SALT: 'pepper' } },
  );
  return embeddedPipelines(config)[0]!;
}

async function replicate() {
  const r = openPostgresReplication({ pipeline: pipeline(), sourceUrl: src().url, targetUrl: target.url });
  expect(r.source.slot).toBe(slot);
  expect(r.batch).toEqual({ maxRows: 7, maxWaitMs: 0 });
  try {
    return await runPipeline({
      name: 'crm',
      source: r.source,
      sink: r.sink,
      tables: r.tables,
      ...(r.batch ? { batch: r.batch } : {}),
      once: true,
    });
  } finally {
    await r.close();
  }
}

const sha = (value: string) => createHash('sha256').update(`pepper${value}`).digest('hex');

async function targetRows() {
  return target.query<Record<string, unknown>>(
    `SELECT person_id::int AS person_id, email, ssn, phone, name, _cdc_deleted AS deleted,
            _cdc_deleted_at IS NOT NULL AS deleted_at
       FROM mirror.people ORDER BY person_id`,
  );
}

describe('configured transforms, batch limits and slot (real databases)', () => {
  it('renames, masks and soft-deletes through snapshot and stream', async () => {
    await src().query(
      `CREATE TABLE people (id int PRIMARY KEY, email_address varchar(200) NOT NULL, ssn text,
         phone text, name text)`,
    );
    await src().query(
      `INSERT INTO people SELECT g, 'p' || g || '@x.org', '000-' || g, '555-' || g, 'person ' || g
         FROM generate_series(1, 20) g`,
    );
    const first = await replicate();
    expect(first.snapshots).toEqual([{ table: expect.objectContaining({ name: 'people' }), rows: 20 }]);
    const [slotRow] = await src().query('SELECT plugin FROM pg_replication_slots WHERE slot_name = $1', [
      slot,
    ]);
    expect(slotRow).toEqual({ plugin: 'pgoutput' });
    const columns = await target.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'mirror' AND table_name = 'people' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'person_id',
      'email',
      'ssn',
      'phone',
      'name',
      '_cdc_deleted',
      '_cdc_deleted_at',
    ]);
    expect(columns.find((c) => c.column_name === 'email')?.data_type).toBe('text');
    expect((await targetRows())[0]).toEqual({
      person_id: 1,
      email: sha('p1@x.org'),
      ssn: '***',
      phone: null,
      name: 'person 1',
      deleted: false,
      deleted_at: false,
    });

    await src().query(`BEGIN;
      DELETE FROM people WHERE id IN (2, 3);
      UPDATE people SET email_address = 'new@x.org', ssn = NULL, name = 'renamed' WHERE id = 4;
      INSERT INTO people VALUES (21, 'p21@x.org', '000-21', '555-21', 'person 21');
      COMMIT`);
    await src().query(`UPDATE people SET name = 'x' || id WHERE id > 10`);
    const second = await replicate();
    expect(second.snapshots).toEqual([]);
    // 11 updates + 4 changes, in batches of at most 7 changes (a transaction is split only when larger).
    expect(second.events).toBe(15);
    expect(second.batches).toBeGreaterThanOrEqual(3);

    const rows = await targetRows();
    expect(rows).toHaveLength(21); // soft deletes keep the rows
    const byId = new Map(rows.map((r) => [r.person_id, r]));
    expect(byId.get(2)).toMatchObject({ deleted: true, deleted_at: true, email: sha('p2@x.org') });
    expect(byId.get(3)).toMatchObject({ deleted: true });
    expect(byId.get(4)).toEqual({
      person_id: 4,
      email: sha('new@x.org'),
      ssn: null,
      phone: null,
      name: 'renamed',
      deleted: false,
      deleted_at: false,
    });
    expect(byId.get(21)).toMatchObject({ email: sha('p21@x.org'), ssn: '***', phone: null, name: 'x21' });
    const live = rows.filter((r) => !r.deleted).map((r) => r.person_id);
    const sourceIds = await src().query<{ id: number }>('SELECT id FROM people ORDER BY id');
    expect(live).toEqual(sourceIds.map((r) => r.id));

    // A row deleted softly and inserted again comes back alive.
    await src().query(`INSERT INTO people VALUES (2, 'back@x.org', NULL, NULL, 'back')`);
    await replicate();
    expect((await targetRows()).find((r) => r.person_id === 2)).toMatchObject({
      deleted: false,
      deleted_at: false,
      email: sha('back@x.org'),
    });

    const r = openPostgresReplication({ pipeline: pipeline(), sourceUrl: src().url, targetUrl: target.url });
    try {
      expect(await r.source.dropSlot()).toBe(true);
    } finally {
      await r.close();
    }
  });
});
