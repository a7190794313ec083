/**
 * @cdc/connectors — the connector registry `cdc` and `cdc-worker` share: URL schemes to adapter
 * descriptors (built-in PostgreSQL, SQL Server, ScyllaDB, plus plugins), plugin loading, and opening a
 * configured pipeline's change source and sink.
 * @packageDocumentation
 */
export type { RegisterOptions, ResolveOptions, ResolvedUrl, SchemeListing } from './connector-registry.js';
export { ConnectorRegistry } from './connector-registry.js';
export { assertConnectorDescriptor } from './connector-descriptor-check.js';
export type { LoadPluginsOptions, LoadedPlugin } from './connector-plugins.js';
export {
  importPlugin,
  loadPlugins,
  parsePluginList,
  pluginConnectors,
  resolvePlugin,
} from './connector-plugins.js';
export type { CreateConnectorRegistryOptions } from './builtin-connectors.js';
export {
  BUILTIN_CONNECTOR_PACKAGES,
  createConnectorRegistry,
  loadBuiltinConnectors,
} from './builtin-connectors.js';
export type {
  OpenPipelineReplicationOptions,
  PipelineReplication,
  ReplicationConnection,
} from './pipeline-replication.js';
export {
  connectionError,
  describeConnection,
  openPipelineReplication,
  sourceConnectorOf,
  urlWithPassword,
} from './pipeline-replication.js';
