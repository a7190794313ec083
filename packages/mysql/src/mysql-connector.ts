/**
 * The MariaDB/MySQL {@link ConnectorDescriptor}: `mysql://` and `mariadb://` URLs as a source for
 * `cdc diff`, `reconcile` and `repair`. mysql2, an optional peer, loads when a URL is opened.
 */
import type { ConnectorDescriptor } from '@cdc/core';
import { openMysqlSource } from './mysql-adapter.js';
import { openMysqlChangeSource } from './mysql-binlog.js';
import { MYSQL_SCHEMES } from './mysql-config.js';

function urlDatabase(url: string): string | undefined {
  try {
    const path = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return path === '' ? undefined : path;
  } catch {
    return undefined;
  }
}

/**
 * MariaDB/MySQL for `cdc` and `cdc-worker`: register it in a connector registry or build a plugin on
 * it. A table name without a database resolves to the URL's database. Replication reads the binary log
 * (`@vlasky/zongji`, an optional peer): see `docs/sources/mysql.md`, "Replication".
 */
export const mysqlConnector: ConnectorDescriptor = {
  name: 'mysql',
  packageName: '@cdc/mysql',
  schemes: MYSQL_SCHEMES,
  exampleUrl: 'mysql://user@host:3306/database',
  passwordVariables: ['MYSQL_PWD'],
  capabilities: { scan: true, changeSource: true, sink: false, hashPushdown: true },
  defaultSchema: urlDatabase,
  changeLogNote:
    'the MariaDB/MySQL binary log belongs to the server, not to the pipeline (binlog_expire_logs_seconds purges it)',
  openScanSource: (url) => openMysqlSource({ url }),
  async openChangeSource(url) {
    return { source: await openMysqlChangeSource({ url }) };
  },
};
