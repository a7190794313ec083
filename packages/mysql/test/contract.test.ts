/**
 * The shared adapter contract suite (@cdc/testkit) against a real MariaDB: a private `mariadbd` started
 * by this package's global setup, or the server of `CDC_TEST_MYSQL_URL`.
 */
import { describeScanSourceContract, type ContractTypeSupport } from '@cdc/testkit';
import * as mysql2 from 'mysql2';
import { connectMysql } from '../src/index.js';
import { contractTestColumns, mysqlSkipReason, useMysqlTestDatabase } from './mysql-test-database.js';

const db = useMysqlTestDatabase('cdc_contract');

/** What MariaDB cannot store of the contract tables, with the reasons the report shows. */
const MARIADB_CONTRACT_TYPES: ContractTypeSupport = {
  unsupportedKinds: {
    interval: 'MariaDB/MySQL have no interval type',
    list: 'MariaDB/MySQL have no array types',
    timestamptz:
      'TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 UTC only, and the contract values lie outside (covered by mysql-types.test.ts)',
  },
  unsupportedValues: {
    'numeric-nan-infinity': 'DECIMAL has no NaN or Infinity',
    'float-nan-infinity': 'FLOAT/DOUBLE have no NaN or Infinity',
    'date-bc': 'DATE/DATETIME start at year 0000',
    'temporal-infinity': 'no infinity dates or instants',
  },
};

describeScanSourceContract('mariadb', {
  ...(mysqlSkipReason() ? { skip: mysqlSkipReason() } : {}),
  types: MARIADB_CONTRACT_TYPES,
  connect: () => connectMysql({ url: db().url, driver: mysql2 }),
  createTable: (table) =>
    db().createTable(table.name, contractTestColumns(table), table.primaryKey, table.rows),
});
