/** From a configured pipeline to what {@link runPipeline} takes: table list, transforms, batching, slot name. */
import type { PipelineConfig } from '../config/config-schema.js';
import { parseTableName } from '../config/table-name.js';
import type { BatchLimits, PipelineOptions, PipelineTable } from './pipeline.js';
import type { TableTransformOptions } from './transforms.js';

/**
 * The engine's table list of a configured pipeline: source names parsed, `target` (or the pipeline's
 * `targetSchema` and the source name) as the target table, `key` for tables without a primary key,
 * `columns`/`excludeColumns` as column selection, `rename`, `mask` (with the pipeline's `hashSalt`)
 * and `deletes` as transforms.
 */
export function pipelineTables(pipeline: PipelineConfig): PipelineTable[] {
  return pipeline.tables.map((entry): PipelineTable => {
    const spec = typeof entry === 'string' ? { source: entry } : entry;
    const table = parseTableName(spec.source);
    const target =
      'target' in spec && spec.target
        ? parseTableName(spec.target)
        : pipeline.targetSchema !== undefined
          ? { schema: pipeline.targetSchema, name: table.name }
          : undefined;
    if (typeof entry === 'string' && !target) return { table };
    const e = typeof entry === 'string' ? undefined : entry;
    const masked = e?.mask && Object.keys(e.mask).length > 0;
    const transform: TableTransformOptions = {
      ...(target ? { target } : {}),
      ...(e?.columns ? { includeColumns: e.columns } : {}),
      ...(e?.excludeColumns ? { excludeColumns: e.excludeColumns } : {}),
      ...(e?.rename && Object.keys(e.rename).length > 0 ? { renameColumns: e.rename } : {}),
      ...(masked ? { mask: e.mask } : {}),
      ...(masked && pipeline.hashSalt !== undefined ? { hashSalt: pipeline.hashSalt } : {}),
      ...(e?.deletes ? { deletes: e.deletes } : {}),
    };
    return {
      table,
      ...(e?.key ? { key: e.key } : {}),
      transform,
      ...(e?.jsonColumns && e.jsonColumns.length > 0 ? { jsonColumns: e.jsonColumns } : {}),
    };
  });
}

/** The engine's batch limits of a configured pipeline (`batch.maxDelayMs` is the engine's `maxWaitMs`). */
export function pipelineBatchLimits(pipeline: PipelineConfig): Partial<BatchLimits> | undefined {
  const b = pipeline.batch;
  if (!b) return undefined;
  const limits: Partial<BatchLimits> = {
    ...(b.maxRows !== undefined ? { maxRows: b.maxRows } : {}),
    ...(b.maxBytes !== undefined ? { maxBytes: b.maxBytes } : {}),
    ...(b.maxDelayMs !== undefined ? { maxWaitMs: b.maxDelayMs } : {}),
  };
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/**
 * Everything {@link runPipeline} needs from the configuration file for one pipeline, to spread next to the
 * source, sink and run controls (`once`, `signal`, `onEvent`).
 *
 * @example
 * ```ts
 * await runPipeline({ ...pipelineRunOptions(pipeline), source, sink, signal });
 * ```
 */
export function pipelineRunOptions(
  pipeline: PipelineConfig,
): Pick<PipelineOptions, 'name' | 'tables' | 'mode' | 'batch'> {
  const batch = pipelineBatchLimits(pipeline);
  return {
    name: pipeline.name,
    tables: pipelineTables(pipeline),
    ...(pipeline.mode ? { mode: pipeline.mode } : {}),
    ...(batch ? { batch } : {}),
  };
}

/** The replication slot of a configured pipeline on a PostgreSQL source: its `slot`, or the derived name. */
export function pipelineSlotName(pipeline: Pick<PipelineConfig, 'name' | 'slot'>): string {
  return pipeline.slot ?? replicationSlotName(pipeline.name);
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
