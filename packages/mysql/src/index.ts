/**
 * @cdc/mysql — MariaDB/MySQL source for cdc (`mysql://`, `mariadb://`), written against the public API
 * of `@cdc/core` only: introspection, keyset scans, counts, splits, lookups and in-database hashing
 * (canonical text built in SQL, hashed with `MD5()`). mysql2 is an optional peer dependency, injected.
 * @packageDocumentation
 */
export { connectMysql, openMysqlSource, mysqlCapabilities, MysqlAdapter } from './mysql-adapter.js';
export type { MysqlConnectOptions, MysqlServerFacts } from './mysql-adapter.js';
export { mysqlConnector } from './mysql-connector.js';
export {
  MysqlChangeSource,
  checkBinlogSettings,
  compareBinlogPositions,
  decodeBinlogValue,
  formatBinlogPosition,
  loadZongJi,
  openMysqlChangeSource,
  parseBinlogPosition,
} from './mysql-binlog.js';
export type { BinlogPosition, MysqlChangeSourceOptions, ZongJiConstructor } from './mysql-binlog.js';
export { mysqlConfigSchema, parseMysqlConfig, parseMysqlUrl, MYSQL_SCHEMES } from './mysql-config.js';
export type { MysqlConfig, MysqlConfigInput } from './mysql-config.js';
export {
  MysqlDriver,
  MysqlSession,
  loadMysql2,
  mysql2PoolOptions,
  SESSION_SETUP_SQL,
} from './mysql-driver.js';
export type {
  ModuleLoader,
  Mysql2ModuleLike,
  Mysql2PoolLike,
  Mysql2PoolOptions,
  Mysql2PromisePoolLike,
  Mysql2PromiseConnectionLike,
  Mysql2QueryResult,
  MysqlQuery,
} from './mysql-driver.js';
export { classifyMysqlErrorCode, toMysqlError } from './mysql-errors.js';
export { mapMysqlType, UNSUPPORTED_MYSQL_TYPES } from './mysql-types.js';
export type { MysqlColumnInfo, MysqlMappedType, MysqlTypeOptions } from './mysql-types.js';
export { decodeMysqlValue, encodeMysqlKey, microsToDateTimeText } from './mysql-values.js';
export type { MysqlParam } from './mysql-values.js';
export * as mysqlSql from './mysql-sql.js';
