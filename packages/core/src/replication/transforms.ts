/**
 * Per-table transforms of the replication engine: which columns travel, under which names, masked how,
 * into which target table. Compiled once per table schema so applying them to a change is a plain loop.
 */
import { createSHA256 } from 'hash-wasm';
import type { ChangeEvent, TableMapping } from '../connector.js';
import { CdcError } from '../errors.js';
import type { Column, Row, TableId, TableSchema } from '../schema.js';
import { formatTableId } from '../schema.js';

/**
 * How a PII column is masked before it reaches the target.
 * - `hash`: lowercase hex SHA-256 of `salt` + the value's text (deterministic, joinable; becomes `text`).
 * - `redact`: the constant `***` (becomes `text`); NULL stays NULL.
 * - `null`: always NULL (the target column becomes nullable).
 */
export type MaskKind = 'hash' | 'redact' | 'null';

/** Transform options of one replicated table. */
export interface TableTransformOptions {
  /** Replicate only these source columns (key columns are always kept). Default: all. */
  includeColumns?: string[];
  /** Never replicate these source columns. */
  excludeColumns?: string[];
  /** Source column name → target column name. */
  renameColumns?: Readonly<Record<string, string>>;
  /** Source column name → mask. Key columns may only be hashed. */
  mask?: Readonly<Record<string, MaskKind>>;
  /** Salt prepended to values masked with `hash`. */
  hashSalt?: string;
  /** Target table. Default: the source schema and name (or `defaultTargetSchema` and the source name). */
  target?: TableId;
  /** `hard` deletes rows; `soft` sets `_cdc_deleted`/`_cdc_deleted_at`. Default `hard`. */
  deletes?: 'hard' | 'soft';
  /** Target column receiving the source timestamp (last-writer-wins), if any. */
  sourceTimestampColumn?: string;
}

/** A table's compiled transform: the target's shape and the function turning source changes into it. */
export interface CompiledTransform {
  /** The source table as introspected. */
  readonly source: TableSchema;
  /** What the sink is prepared with: the transformed schema (id = source id) and the target table. */
  readonly mapping: TableMapping;
  /** Transforms one source row (full or partial); unknown columns are dropped. */
  row(row: Row): Row;
  /** Transforms one change; the result names the source table id, carrying target column names. */
  event(event: ChangeEvent): ChangeEvent;
}

const REDACTED = '***';

type Hasher = Awaited<ReturnType<typeof createSHA256>>;
let hasherPromise: Promise<Hasher> | undefined;

function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function configError(table: TableSchema, problem: string, hint: string): CdcError {
  return new CdcError('CONFIG_INVALID', `table ${formatTableId(table.id)}: ${problem}`, { hint });
}

/**
 * Validates the options against the table and compiles them. Throws `CONFIG_INVALID` naming the table and
 * column for unknown columns, excluded or nulled key columns and duplicate target names.
 *
 * @example
 * ```ts
 * const t = await compileTransform(schema, { excludeColumns: ['notes'], mask: { email: 'hash' } });
 * await sink.prepare('sales', [t.mapping]);
 * ```
 */
export async function compileTransform(
  source: TableSchema,
  options: TableTransformOptions = {},
  defaultTargetSchema?: string,
): Promise<CompiledTransform> {
  const known = new Set(source.columns.map((c) => c.name));
  const keys = new Set(source.primaryKey);
  const check = (list: Iterable<string>, what: string) => {
    for (const name of list) {
      if (!known.has(name)) {
        throw configError(
          source,
          `${what} names unknown column "${name}"`,
          `use one of: ${[...known].join(', ')}`,
        );
      }
    }
  };
  check(options.includeColumns ?? [], 'includeColumns');
  check(options.excludeColumns ?? [], 'excludeColumns');
  check(Object.keys(options.renameColumns ?? {}), 'renameColumns');
  check(Object.keys(options.mask ?? {}), 'mask');
  for (const name of options.excludeColumns ?? []) {
    if (keys.has(name)) {
      throw configError(source, `key column "${name}" cannot be excluded`, 'remove it from excludeColumns');
    }
  }
  for (const [name, kind] of Object.entries(options.mask ?? {})) {
    if (keys.has(name) && kind !== 'hash') {
      throw configError(
        source,
        `key column "${name}" can only be masked with "hash" (got "${kind}")`,
        'use mask: hash for key columns, or leave them unmasked',
      );
    }
  }

  const include = options.includeColumns ? new Set(options.includeColumns) : undefined;
  const exclude = new Set(options.excludeColumns ?? []);
  const kept = source.columns.filter(
    (c) => keys.has(c.name) || ((!include || include.has(c.name)) && !exclude.has(c.name)),
  );
  const rename = options.renameColumns ?? {};
  const targetName = (name: string) => rename[name] ?? name;
  const seen = new Set<string>();
  for (const c of kept) {
    const t = targetName(c.name);
    if (seen.has(t)) {
      throw configError(source, `two columns land in target column "${t}"`, 'fix renameColumns');
    }
    seen.add(t);
  }

  const mask = options.mask ?? {};
  const columns: Column[] = kept.map((c) => {
    const kind = mask[c.name];
    const renamed = { ...c, name: targetName(c.name) };
    if (kind === 'hash' || kind === 'redact') {
      const { length: _length, collation: _collation, fixedLength: _fixed, ...rest } = renamed;
      return { ...rest, type: { kind: 'text' }, nativeType: 'text' };
    }
    if (kind === 'null') return { ...renamed, nullable: true };
    return renamed;
  });
  const schema: TableSchema = {
    ...source,
    columns,
    primaryKey: source.primaryKey.map(targetName),
    ...(source.uniqueKeys ? { uniqueKeys: source.uniqueKeys.map((u) => u.map(targetName)) } : {}),
  };
  const target: TableId = options.target ?? {
    ...(defaultTargetSchema !== undefined
      ? { schema: defaultTargetSchema }
      : source.id.schema !== undefined
        ? { schema: source.id.schema }
        : {}),
    name: source.id.name,
  };
  const mapping: TableMapping = {
    source: schema,
    target,
    deletes: options.deletes ?? 'hard',
    ...(options.sourceTimestampColumn ? { sourceTimestampColumn: options.sourceTimestampColumn } : {}),
  };

  const needsHash = Object.values(mask).includes('hash');
  const hasher = needsHash ? await (hasherPromise ??= createSHA256()) : undefined;
  const salt = options.hashSalt ?? '';
  const keptNames = new Set(kept.map((c) => c.name));
  const maskValue = (name: string, value: unknown): unknown => {
    const kind = mask[name];
    if (kind === undefined || value === null || value === undefined) return kind === 'null' ? null : value;
    if (kind === 'null') return null;
    if (kind === 'redact') return REDACTED;
    hasher!.init();
    hasher!.update(salt + valueText(value));
    return hasher!.digest('hex');
  };
  const copy = (input: Row): Row => {
    const out: Row = {};
    for (const [name, value] of Object.entries(input)) {
      if (!keptNames.has(name)) continue;
      out[targetName(name)] = maskValue(name, value);
    }
    return out;
  };
  // Without renames or masks a row that has only kept columns passes through as is (no copy per change).
  const plain = Object.keys(rename).length === 0 && Object.keys(mask).length === 0;
  const row = plain
    ? (input: Row): Row => {
        for (const name in input) if (!keptNames.has(name)) return copy(input);
        return input;
      }
    : copy;
  const bound = <B extends { column: string }>(b: B | undefined): B | undefined =>
    b === undefined ? undefined : { ...b, column: targetName(b.column) };

  return {
    source,
    mapping,
    row,
    event(e: ChangeEvent): ChangeEvent {
      if (e.op === 'upsert') return { ...e, table: source.id, key: row(e.key), row: row(e.row) };
      if (e.op === 'delete') return { ...e, table: source.id, key: row(e.key) };
      const lower = bound(e.lower);
      const upper = bound(e.upper);
      const { lower: _l, upper: _u, ...rest } = e;
      return {
        ...rest,
        table: source.id,
        prefix: row(e.prefix),
        ...(lower ? { lower } : {}),
        ...(upper ? { upper } : {}),
      };
    },
  };
}

const tableKeys = new WeakMap<TableId, string>();

/**
 * A stable map key for a table id (catalog, schema and name, unambiguous). Memoized per id object:
 * table ids are treated as immutable values.
 */
export function tableKey(id: TableId): string {
  let key = tableKeys.get(id);
  if (key === undefined) {
    key = JSON.stringify([id.catalog ?? null, id.schema ?? null, id.name]);
    tableKeys.set(id, key);
  }
  return key;
}
