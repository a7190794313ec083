/**
 * @cdc/sqlserver — SQL Server source for cdc: introspection, keyset scans, in-database hashing and the
 * CDC change stream, over tedious (injected, a peer dependency). Works with SQL Server 2016+, Azure SQL
 * Database / Managed Instance, and (scans only) Babelfish for PostgreSQL.
 * @packageDocumentation
 */
export { connectSqlServer, sqlServerCapabilities, SqlServerAdapter } from './sqlserver-adapter.js';
export type { SqlServerConnectOptions, SqlServerColumnMapping } from './sqlserver-adapter.js';
export {
  parseSqlServerUrl,
  parseSqlServerConfig,
  isAzureSqlHost,
  sqlServerConfigSchema,
  sqlServerAuthenticationSchema,
} from './sqlserver-config.js';
export type { SqlServerConfig, SqlServerConfigInput, SqlServerAuthentication } from './sqlserver-config.js';
export { SqlServerDriver, SqlServerSession, loadTedious, tediousConfigOf } from './sqlserver-driver.js';
export type {
  ModuleLoader,
  TediousModuleLike,
  TediousConnectionLike,
  TediousRequestLike,
  TediousConnectionConfig,
  TediousColumnValue,
  RawRow,
} from './sqlserver-driver.js';
export { detectFlavour, majorVersionOf, FLAVOUR_SQL } from './sqlserver-flavour.js';
export type { SqlServerFlavour, SqlServerServerFacts } from './sqlserver-flavour.js';
export { classifySqlServerErrorNumber, toSqlServerError } from './sqlserver-errors.js';
export {
  parseLsn,
  formatLsn,
  compareLsn,
  incrementLsn,
  decrementLsn,
  maxLsn,
  lsnToBuffer,
  comparePosition,
  formatPosition,
  parsePosition,
  ZERO_LSN,
  MAX_LSN,
} from './sqlserver-lsn.js';
export type { Lsn, SqlServerPosition } from './sqlserver-lsn.js';
export { mapSqlServerType, SQLSERVER_TYPE_NAMES, UNSUPPORTED_SQLSERVER_TYPES } from './sqlserver-types.js';
export type { SqlServerColumnInfo, SqlServerMappedType } from './sqlserver-types.js';
export {
  decodeSqlServerValue,
  decodeSqlServerRow,
  encodeSqlServerParam,
  tediousDateToEpochMicros,
} from './sqlserver-values.js';
export type { SqlServerParam } from './sqlserver-values.js';
export {
  renderEnableCdcSql,
  enableCdcStatements,
  captureInstanceName,
  CaptureTimeline,
  UpdatePairer,
  checkRetention,
  agentStateOf,
  mergeChangeStreams,
  assembleBatches,
  snapshotPartition,
  snapshotFloors,
  tableKey,
} from './sqlserver-cdc.js';
export type {
  EnableCdcOptions,
  EnableCdcTable,
  EnableCdcStatement,
  CaptureInstance,
  CaptureSegment,
  ChangeRecord,
  AgentState,
} from './sqlserver-cdc.js';
export { SQLSERVER_PARTITION } from './sqlserver-change-stream.js';
export * as sqlServerSql from './sqlserver-sql.js';
export { sqlServerConnector } from './sqlserver-connector.js';
