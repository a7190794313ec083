/**
 * Versioned migrations of the `cdc_meta` schema (kysely Migrator): reconciliation history, repairs,
 * replication checkpoints with fencing epochs, dead letters, verification state. Append new migrations; never edit one
 * that has shipped.
 */
import { sql, type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

/** Schema holding cdc's own tables in the target database. */
export const META_SCHEMA = 'cdc_meta';

const v001: Migration = {
  async up(db: Kysely<unknown>) {
    const s = db.schema.withSchema(META_SCHEMA);
    await s
      .createTable('runs')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('running'))
      .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('finished_at', 'timestamptz')
      .addColumn('source', 'text')
      .addColumn('target', 'text')
      .addColumn('options', 'jsonb')
      .addColumn('summary', 'jsonb')
      .addColumn('error', 'text')
      .execute();
    await s.createIndex('runs_started_at').on('runs').column('started_at').execute();
    await s
      .createTable('table_results')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('run_id', 'bigint', (c) => c.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('source_table', 'text', (c) => c.notNull())
      .addColumn('target_table', 'text', (c) => c.notNull())
      .addColumn('strategy', 'text', (c) => c.notNull())
      .addColumn('hashing', 'text')
      .addColumn('source_rows', 'bigint')
      .addColumn('target_rows', 'bigint')
      .addColumn('missing', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('extra', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('mismatched', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('duration_ms', 'bigint')
      .addColumn('stats', 'jsonb')
      .addColumn('error', 'text')
      .execute();
    await s.createIndex('table_results_run').on('table_results').column('run_id').execute();
    await s
      .createTable('difference_samples')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('table_result_id', 'bigint', (c) =>
        c.notNull().references('table_results.id').onDelete('cascade'),
      )
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('missing', 'extra', 'mismatched')`))
      .addColumn('key', 'jsonb', (c) => c.notNull())
      .addColumn('columns', sql`text[]`)
      .addColumn('source_row', 'jsonb')
      .addColumn('target_row', 'jsonb')
      .execute();
    await s
      .createIndex('difference_samples_result')
      .on('difference_samples')
      .column('table_result_id')
      .execute();
    await s
      .createTable('repairs')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('run_id', 'bigint', (c) => c.references('runs.id').onDelete('set null'))
      .addColumn('target_table', 'text', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode IN ('script', 'apply')`))
      .addColumn('statements', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('rows_changed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('guards_failed', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('script', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await s
      .createTable('pipelines')
      .addColumn('pipeline', 'text', (c) => c.primaryKey())
      .addColumn('epoch', 'bigint', (c) => c.notNull())
      .addColumn('acquired_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await s
      .createTable('checkpoints')
      .addColumn('pipeline', 'text', (c) => c.notNull().references('pipelines.pipeline').onDelete('cascade'))
      .addColumn('partition', 'text', (c) => c.notNull())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('epoch', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('checkpoints_pk', ['pipeline', 'partition'])
      .execute();
    await s
      .createTable('dead_letters')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('pipeline', 'text', (c) => c.notNull())
      .addColumn('target_table', 'text', (c) => c.notNull())
      .addColumn('partition', 'text')
      .addColumn('position', 'text')
      .addColumn('key', 'jsonb')
      .addColumn('payload', 'jsonb')
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await s
      .createIndex('dead_letters_pipeline')
      .on('dead_letters')
      .columns(['pipeline', 'created_at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of [
      'dead_letters',
      'checkpoints',
      'pipelines',
      'repairs',
      'difference_samples',
      'table_results',
      'runs',
    ]) {
      await db.schema.withSchema(META_SCHEMA).dropTable(t).ifExists().execute();
    }
  },
};

/** Always-on verification (`docs/verification.md`): per pipeline table, the sweep's checkpoint and the marks. */
const v002: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .withSchema(META_SCHEMA)
      .createTable('verification')
      .addColumn('pipeline', 'text', (c) => c.notNull())
      .addColumn('source_table', 'text', (c) => c.notNull())
      .addColumn('target_table', 'text', (c) => c.notNull())
      .addColumn('cycle', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cycle_started_at', 'timestamptz')
      .addColumn('segments', 'jsonb')
      .addColumn('next_segment', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('sweep_rows', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('sweep_differences', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('last_complete_started_at', 'timestamptz')
      .addColumn('last_complete_finished_at', 'timestamptz')
      .addColumn('changed_verified_through', 'timestamptz')
      .addColumn('changed_rows', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('changed_differences', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('verification_pk', ['pipeline', 'source_table'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.withSchema(META_SCHEMA).dropTable('verification').ifExists().execute();
  },
};

/** Every migration, by name; names sort in apply order. */
export const META_MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': v001,
  '0002_verification': v002,
};

const provider: MigrationProvider = { getMigrations: async () => ({ ...META_MIGRATIONS }) };

/**
 * Brings `cdc_meta` to the latest version (idempotent; concurrent callers are serialized by kysely's
 * migration lock). Returns the names of migrations applied by this call.
 */
export async function migrateMeta(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableSchema: META_SCHEMA,
    migrationTableName: 'migrations',
    migrationLockTableName: 'migrations_lock',
  });
  // CREATE … IF NOT EXISTS still races between sessions (unique violation in the catalog): the loser
  // retries and then finds everything in place; the migration itself runs under kysely's lock.
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(META_SCHEMA)}`.execute(db);
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } catch (error) {
      const code = (error as { code?: string } | null)?.code;
      if (attempt >= 5 || !(code === '23505' || code === '42P06' || code === '42P07')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}
