/**
 * What the console shows beyond the status document: one table's stored differences (paged, values of
 * masked columns replaced by {@link MASKED}) and the recent repairs of the pipelines' targets. Read from
 * the target's `cdc_meta`; nothing here writes.
 */
import { urlWithPassword } from '@cdc/connectors';
import { CdcError, formatTableId, pipelineTables, type CdcConfig, type PipelineConfig } from '@cdc/core';
import { connectPostgres, type PostgresAdapter } from '@cdc/postgres';
import type { RepairStatus } from './status-document.js';

/** What a masked value is shown as, everywhere (API, console, reports). */
export const MASKED = '•••• masked';

/** One stored difference, as the console and the API show it. */
export interface DifferenceView {
  kind: 'missing' | 'extra' | 'mismatched';
  /** Key values in primary-key order; a masked key column's value is {@link MASKED}. */
  key: unknown[];
  /** The differing columns (mismatched rows), target names. */
  columns: string[];
  /** Source and target values of the differing columns; masked columns are {@link MASKED}. */
  values: Record<string, { source: unknown; target: unknown }>;
}

/** A page of differences of a table's latest result with differences. */
export interface DifferencePage {
  pipeline: string;
  table: string;
  /** The run the differences come from; `null` when the table never differed. */
  runId: string | null;
  runKind: string | null;
  at: string | null;
  /** Differences stored for that result (the sample; may be fewer than the counts). */
  total: number;
  offset: number;
  limit: number;
  differences: DifferenceView[];
}

/** Column names (source and target) whose values must never be shown for a pipeline table. */
export function maskedColumns(pipeline: PipelineConfig, table: string): Set<string> {
  const t = pipelineTables(pipeline).find((p) => formatTableId(p.table) === table);
  const out = new Set<string>();
  const rename = t?.transform?.renameColumns ?? {};
  for (const column of Object.keys(t?.transform?.mask ?? {})) {
    out.add(column);
    if (rename[column]) out.add(rename[column]);
  }
  return out;
}

/** Options of {@link listDifferences}. */
export interface ListDifferencesOptions {
  config: CdcConfig;
  pipeline: PipelineConfig;
  /** The source table as configured (`schema.name`), as in the status document's `table`. */
  table: string;
  offset?: number;
  /** Page size, 1–500. Default 50. */
  limit?: number;
}

/**
 * The differences of a table's most recent result with differences (reconciliation or verification),
 * paged, with masked columns masked.
 *
 * @throws CdcError `TABLE_NOT_FOUND` when the pipeline does not replicate `table`
 */
export async function listDifferences(options: ListDifferencesOptions): Promise<DifferencePage> {
  const { config, pipeline, table } = options;
  const spec = pipelineTables(pipeline).find((p) => formatTableId(p.table) === table);
  if (!spec) {
    throw new CdcError('TABLE_NOT_FOUND', `pipeline ${pipeline.name} does not replicate ${table}`, {
      hint: `its tables: ${pipelineTables(pipeline)
        .map((p) => formatTableId(p.table))
        .join(', ')}`,
    });
  }
  const offset = Math.max(0, Math.floor(options.offset ?? 0));
  const limit = Math.min(500, Math.max(1, Math.floor(options.limit ?? 50)));
  const targetId = spec.transform?.target ?? { schema: spec.table.schema ?? 'public', name: spec.table.name };
  const masked = maskedColumns(pipeline, table);
  const empty: DifferencePage = {
    pipeline: pipeline.name,
    table,
    runId: null,
    runKind: null,
    at: null,
    total: 0,
    offset,
    limit,
    differences: [],
  };
  const conn = config.connections[pipeline.target]!;
  const target = connectPostgres({ url: urlWithPassword(conn.url, conn.password), maxConnections: 1 });
  try {
    const [present] = await target.query<{ present: boolean }>(
      "SELECT to_regclass('cdc_meta.difference_samples') IS NOT NULL AS present",
    );
    if (!present?.present) return empty;
    const [result] = await target.query<{ id: string; run_id: string; kind: string; at: Date; n: string }>(
      `SELECT tr.id::text, r.id::text AS run_id, r.kind, r.started_at AS at,
              (SELECT count(*) FROM cdc_meta.difference_samples s WHERE s.table_result_id = tr.id)::text AS n
         FROM cdc_meta.table_results tr JOIN cdc_meta.runs r ON r.id = tr.run_id
        WHERE tr.target_table LIKE '{%'
          AND tr.target_table::jsonb ->> 'name' = $1
          AND coalesce(tr.target_table::jsonb ->> 'schema', 'public') = $2
          AND tr.missing + tr.extra + tr.mismatched > 0
        ORDER BY tr.id DESC LIMIT 1`,
      [targetId.name, targetId.schema ?? 'public'],
    );
    if (!result) return empty;
    const keyColumns = await primaryKeyOf(target, targetId.schema ?? 'public', targetId.name);
    const samples = await target.query<{
      kind: DifferenceView['kind'];
      key: string;
      columns: string[] | null;
      source_row: string | null;
      target_row: string | null;
    }>(
      // jsonb as text, parsed here: the adapter's type parsers keep JSON as written.
      `SELECT kind, key::text AS key, columns, source_row::text AS source_row, target_row::text AS target_row
         FROM cdc_meta.difference_samples
        WHERE table_result_id = $1 ORDER BY id OFFSET $2 LIMIT $3`,
      [result.id, offset, limit],
    );
    return {
      pipeline: pipeline.name,
      table,
      runId: result.run_id,
      runKind: result.kind,
      at: new Date(result.at).toISOString(),
      total: Number(result.n),
      offset,
      limit,
      differences: samples.map((s) => {
        const columns = s.columns ?? [];
        const sourceRow = parseRow(s.source_row);
        const targetRow = parseRow(s.target_row);
        const storedKey = JSON.parse(s.key) as unknown;
        const values: DifferenceView['values'] = {};
        for (const c of columns) {
          values[c] = masked.has(c)
            ? { source: MASKED, target: MASKED }
            : { source: sourceRow?.[c] ?? null, target: targetRow?.[c] ?? null };
        }
        const key = (Array.isArray(storedKey) ? storedKey : [storedKey]).map((v, i) =>
          // A key column that is masked (only `hash` is allowed on keys) or a key whose columns are unknown.
          keyColumns === undefined || masked.has(keyColumns[i] ?? '') ? (masked.size > 0 ? MASKED : v) : v,
        );
        return { kind: s.kind, key, columns, values };
      }),
    };
  } finally {
    await target.close();
  }
}

function parseRow(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  const value = JSON.parse(text) as unknown;
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

async function primaryKeyOf(
  target: PostgresAdapter,
  schema: string,
  name: string,
): Promise<string[] | undefined> {
  const rows = await target.query<{ column: string }>(
    `SELECT a.attname AS column
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE i.indisprimary AND n.nspname = $1 AND c.relname = $2
      ORDER BY k.ord`,
    [schema, name],
  );
  return rows.length > 0 ? rows.map((r) => r.column) : undefined;
}

/** The most recent repairs recorded in the targets of `pipelines`, newest first. */
export async function listRepairs(
  config: CdcConfig,
  pipelines: readonly PipelineConfig[],
  limit = 20,
): Promise<RepairStatus[]> {
  const out: RepairStatus[] = [];
  for (const name of new Set(pipelines.map((p) => p.target))) {
    const conn = config.connections[name]!;
    const target = connectPostgres({ url: urlWithPassword(conn.url, conn.password), maxConnections: 1 });
    try {
      const [present] = await target.query<{ present: boolean }>(
        "SELECT to_regclass('cdc_meta.repairs') IS NOT NULL AS present",
      );
      if (!present?.present) continue;
      const rows = await target.query<{
        id: string;
        run_id: string | null;
        target_table: string;
        mode: 'script' | 'apply';
        statements: string;
        rows_changed: string;
        guards_failed: string;
        created_at: Date;
      }>(
        `SELECT id::text, run_id::text, target_table, mode, statements::text, rows_changed::text,
                guards_failed::text, created_at
           FROM cdc_meta.repairs ORDER BY id DESC LIMIT $1`,
        [limit],
      );
      for (const r of rows) {
        out.push({
          id: r.id,
          runId: r.run_id,
          targetTable: r.target_table,
          mode: r.mode,
          statements: r.statements,
          rowsChanged: r.rows_changed,
          guardsFailed: r.guards_failed,
          at: new Date(r.created_at).toISOString(),
        });
      }
    } finally {
      await target.close();
    }
  }
  return out.sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
}
