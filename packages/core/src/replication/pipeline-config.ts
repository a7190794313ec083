/** From a configured pipeline to what {@link runPipeline} takes: table list, transforms, slot name. */
import type { PipelineConfig } from '../config/config-schema.js';
import { parseTableName } from '../config/table-name.js';
import type { PipelineTable } from './pipeline.js';

/**
 * The engine's table list of a configured pipeline: source names parsed, `target` as the target table,
 * `key` for tables without a primary key, `columns`/`excludeColumns` as column selection.
 */
export function pipelineTables(pipeline: PipelineConfig): PipelineTable[] {
  return pipeline.tables.map((entry): PipelineTable => {
    if (typeof entry === 'string') return { table: parseTableName(entry) };
    return {
      table: parseTableName(entry.source),
      ...(entry.key ? { key: entry.key } : {}),
      transform: {
        ...(entry.target ? { target: parseTableName(entry.target) } : {}),
        ...(entry.columns ? { includeColumns: entry.columns } : {}),
        ...(entry.excludeColumns ? { excludeColumns: entry.excludeColumns } : {}),
      },
    };
  });
}

/**
 * The replication slot (and publication) name of a pipeline on a PostgreSQL source: `cdc_` + the name
 * lower-cased with other characters as `_`, plus a short hash when that changed or shortened it, so two
 * pipelines never share a slot.
 */
export function replicationSlotName(pipeline: string): string {
  const base = `cdc_${pipeline.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  if (base === `cdc_${pipeline}` && base.length <= 63) return base;
  let h = 0x811c9dc5;
  for (const ch of pipeline) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  return `${base.slice(0, 54)}_${h.toString(16).padStart(8, '0')}`;
}
