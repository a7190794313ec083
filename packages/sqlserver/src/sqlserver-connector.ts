/**
 * The SQL Server {@link ConnectorDescriptor}: `mssql://` and `sqlserver://` URLs as a source (scans,
 * in-database hashing, CDC capture instances). tedious, an optional peer, loads on first use.
 */
import type { ConnectorDescriptor } from '@cdc/core';
import { connectSqlServer } from './sqlserver-adapter.js';
import { loadTedious } from './sqlserver-driver.js';

async function open(url: string) {
  return connectSqlServer({ connection: url, tedious: await loadTedious() });
}

/**
 * SQL Server for `cdc` and `cdc-worker` (the built-in registry of `@cdc/connectors` holds it). A missing
 * tedious fails when a URL is opened, with the `npm install` command.
 */
export const sqlServerConnector: ConnectorDescriptor = {
  name: 'sqlserver',
  packageName: '@cdc/sqlserver',
  schemes: ['mssql', 'sqlserver'],
  exampleUrl: 'mssql://user@host:1433/db',
  passwordVariables: ['MSSQL_PASSWORD', 'SQLCMDPASSWORD'],
  capabilities: { scan: true, changeSource: true, sink: false, hashPushdown: true },
  defaultSchema: () => 'dbo',
  changeLogNote:
    'SQL Server CDC capture instances belong to the database, not to the pipeline (disable one with sys.sp_cdc_disable_table)',
  openScanSource: (url) => open(url),
  async openChangeSource(url) {
    return { source: await open(url) };
  },
};
