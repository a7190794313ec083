/**
 * Source-neutral replication for `cdc replicate`, `cdc snapshot` and `cdc status`: pipelines open
 * through the connector registry of @cdc/connectors, the same code the worker uses (the CLI does not
 * depend on the worker). CLI-only wording lives here.
 */
import type { ConnectorRegistry } from '@cdc/connectors';
import type { ConnectorDescriptor, PipelineConfig } from '@cdc/core';
import { sourceConnectorOf, type ReplicationConnection } from '@cdc/connectors';

export {
  connectionError,
  describeConnection,
  openPipelineReplication,
  sourceConnectorOf,
  urlWithPassword,
  type OpenPipelineReplicationOptions,
  type PipelineReplication,
  type ReplicationConnection,
} from '@cdc/connectors';

/** A source engine: the name of its connector descriptor (`postgres`, `sqlserver`, `scylla`, a plugin's). */
export type SourceEngine = string;

/** The engine of a pipeline's source connection (its descriptor's name), by URL scheme. */
export function sourceEngineOf(
  connectors: ConnectorRegistry,
  pipeline: Pick<PipelineConfig, 'name'>,
  source: ReplicationConnection,
): SourceEngine {
  return sourceConnectorOf(connectors, pipeline, source).name;
}

/** What `cdc replicate --drop-slot` says about a pipeline whose source keeps no replication slot. */
export function noSlotMessage(pipeline: PipelineConfig, connector: ConnectorDescriptor): string {
  const detail = connector.changeLogNote ?? `${connector.name} sources keep no replication slot per pipeline`;
  return `${pipeline.name}: --drop-slot applies to PostgreSQL sources only; ${detail}; nothing dropped`;
}
