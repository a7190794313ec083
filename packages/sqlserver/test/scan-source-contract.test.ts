/**
 * The generic adapter contract suite of @cdc/testkit against a real SQL Server (CI: the
 * `contract-sqlserver` job). Runs only when CDC_TEST_MSSQL_URL is set; otherwise it is registered as
 * skipped with the reason in its name, and a notice is printed. SQL-Server-specific types, hashing
 * measurement and CDC are in `contract.test.ts`.
 */
import { describeScanSourceContract, type ContractTable } from '@cdc/testkit';
import * as tedious from 'tedious';
import { connectSqlServer } from '../src/index.js';
import {
  MSSQL_SKIP,
  MSSQL_URL,
  SQLSERVER_CONTRACT_TYPES,
  SqlServerTestDatabase,
  contractTestColumns,
  warnMssqlSkipped,
} from './sqlserver-test-server.js';

warnMssqlSkipped('the generic ScanSource contract suite');

let db: SqlServerTestDatabase | undefined;
const testDb = async () => (db ??= await SqlServerTestDatabase.create(MSSQL_URL as string, 'contract'));

describeScanSourceContract('sqlserver', {
  ...(MSSQL_SKIP ? { skip: MSSQL_SKIP } : {}),
  timeoutMs: 120_000,
  connect: async () => connectSqlServer({ connection: (await testDb()).config, tedious }),
  createTable: async (table: ContractTable) =>
    (await testDb()).createTable(table.name, contractTestColumns(table), table.primaryKey, table.rows),
  teardown: async () => {
    await db?.drop();
    db = undefined;
  },
  types: SQLSERVER_CONTRACT_TYPES,
});
