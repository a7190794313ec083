/** Pipeline table entries of the configuration, normalized to parsed source/target ids and options. */
import { formatTableName, parseTableName, type PipelineConfig, type TableId } from '@cdc/core';

/** One configured table pair. */
export interface TableEntry {
  /** Name as written in the configuration (source side). */
  name: string;
  source: TableId;
  target: TableId;
  key?: string[];
  columns?: string[];
  excludeColumns?: string[];
  /** Columns holding JSON in a text type, compared as JSON. */
  jsonColumns?: string[];
}

/** Every table of a pipeline with source and target ids parsed. */
export function tableEntries(pipeline: PipelineConfig): TableEntry[] {
  return pipeline.tables.map((t) => {
    if (typeof t === 'string') {
      const id = parseTableName(t);
      return { name: formatTableName(id), source: id, target: id };
    }
    const source = parseTableName(t.source);
    return {
      name: formatTableName(source),
      source,
      target: t.target ? parseTableName(t.target) : source,
      ...(t.key ? { key: t.key } : {}),
      ...(t.columns ? { columns: t.columns } : {}),
      ...(t.excludeColumns ? { excludeColumns: t.excludeColumns } : {}),
      ...(t.jsonColumns ? { jsonColumns: t.jsonColumns } : {}),
    };
  });
}

/** Whether a user's `--table` text names this entry (source or target name, matched exactly). */
export function matchesTable(entry: TableEntry, text: string): boolean {
  const id = parseTableName(text);
  const same = (a: TableId, b: TableId) =>
    a.name === b.name &&
    (b.schema === undefined || a.schema === b.schema) &&
    (b.catalog === undefined || a.catalog === b.catalog);
  return same(entry.source, id) || same(entry.target, id);
}
