/**
 * Source-neutral replication for `cdc replicate`, `cdc snapshot` and `cdc status`: the dispatch by the
 * source URL's scheme is the worker's (@cdc/worker, bundled into the `cdc` executable), so the CLI and
 * the worker open pipelines the same way. CLI-only wording lives here.
 */
import type { PipelineConfig } from '@cdc/core';
import type { SourceEngine } from '@cdc/worker';

export {
  connectionError,
  defaultSchemaOf,
  describeConnection,
  engineOfUrl,
  openPipelineReplication,
  openScyllaAdapter,
  openSourceAdapter,
  openSqlServerAdapter,
  sourceEngineOf,
  urlWithPassword,
  SOURCE_ENGINES,
  type OpenPipelineReplicationOptions,
  type PipelineReplication,
  type ReplicationConnection,
  type ReplicationOpeners,
  type SourceEngine,
} from '@cdc/worker';

/** What `cdc replicate --drop-slot` says about a pipeline whose source keeps no replication slot. */
export function noSlotMessage(pipeline: PipelineConfig, engine: Exclude<SourceEngine, 'postgres'>): string {
  const detail =
    engine === 'sqlserver'
      ? 'SQL Server CDC capture instances belong to the database, not to the pipeline (disable one with sys.sp_cdc_disable_table)'
      : "ScyllaDB CDC logs belong to the table (turn CDC off with ALTER TABLE … WITH cdc = {'enabled': false})";
  return `${pipeline.name}: --drop-slot applies to PostgreSQL sources only; ${detail}; nothing dropped`;
}
