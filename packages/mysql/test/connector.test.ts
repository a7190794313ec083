/**
 * The connector descriptor, as `cdc` uses it: a URL opens a source (mysql2 loaded lazily), table names
 * without a database resolve to the URL's, and connection failures are specific and never echo the
 * password.
 */
import { isCdcError } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { mysqlConnector } from '../src/index.js';
import { mysqlSkipReason, useMysqlTestDatabase } from './mysql-test-database.js';

const skip = mysqlSkipReason();
const db = useMysqlTestDatabase('cdc_connector');

describe('mysqlConnector', () => {
  it('declares mysql:// and mariadb:// as a scan and change source with pushdown', () => {
    expect(mysqlConnector).toMatchObject({
      name: 'mysql',
      packageName: '@cdc/mysql',
      schemes: ['mysql', 'mariadb'],
      passwordVariables: ['MYSQL_PWD'],
      capabilities: { scan: true, changeSource: true, sink: false, hashPushdown: true },
    });
    expect(mysqlConnector.defaultSchema?.('mysql://u@h:3306/shop')).toBe('shop');
    expect(mysqlConnector.defaultSchema?.('mariadb://u@h/')).toBeUndefined();
  });
});

describe.skipIf(skip !== undefined)(`mysqlConnector on MariaDB${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('opens a source from a URL and introspects a table of the URL database', async () => {
    await db().exec('CREATE TABLE t (id int PRIMARY KEY, v varchar(10))');
    for (const url of [db().url, db().url.replace(/^mysql:/, 'mariadb:')]) {
      const source = await mysqlConnector.openScanSource(url);
      try {
        expect(source.dialect).toBe('mysql');
        const schema = await source.introspect({ name: 't' });
        expect(schema.id).toEqual({ schema: db().name, name: 't' });
        expect(await source.count(schema)).toBe(0n);
      } finally {
        await source.close();
      }
    }
  });

  it('fails with AUTH_FAILED for a wrong password, without echoing it', async () => {
    const url = new URL(db().url);
    url.password = 'wrong-secret';
    const error = await mysqlConnector.openScanSource(url.toString()).catch((e: unknown) => e);
    expect(isCdcError(error) && error.code).toBe('AUTH_FAILED');
    expect(String((error as Error).message)).not.toContain('wrong-secret');
    expect((error as Error).message).toContain('***');
  });

  it('fails with CONNECTION_FAILED for a port nobody listens on', async () => {
    const error = await mysqlConnector.openScanSource('mysql://u:pw@127.0.0.1:1/x').catch((e: unknown) => e);
    expect(isCdcError(error) && error.code).toBe('CONNECTION_FAILED');
    expect(isCdcError(error) && error.hint).toMatch(/host and port/);
  });
});
