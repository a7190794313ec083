import { describe, expect, it } from 'vitest';
import { loadMysql2 } from './mysql-driver.js';
import { classifyMysqlErrorCode, toMysqlError } from './mysql-errors.js';

describe('loadMysql2', () => {
  it('loads the installed mysql2', async () => {
    const mysql2 = await loadMysql2();
    expect(typeof mysql2.createPool).toBe('function');
  });

  it('says how to install mysql2 when it is missing, and how to reinstall it when it is broken', async () => {
    const missing = Object.assign(new Error("Cannot find package 'mysql2'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(loadMysql2(() => Promise.reject(missing))).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      message: 'the MariaDB/MySQL driver "mysql2" is not installed',
      hint: expect.stringContaining('npm install mysql2'),
    });
    await expect(loadMysql2(() => Promise.reject(new Error('boom')))).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      hint: 'reinstall it: npm install mysql2',
    });
    await expect(loadMysql2(() => Promise.resolve({}))).rejects.toThrow(/no createPool/);
  });
});

describe('toMysqlError', () => {
  it('classifies server and socket errors with what to do', () => {
    const denied = toMysqlError(
      Object.assign(new Error('x'), {
        code: 'ER_ACCESS_DENIED_ERROR',
        sqlMessage: "Access denied for user 'u'@'h'",
      }),
      'connecting to mysql://u:***@h/db',
    );
    expect(denied).toMatchObject({ code: 'AUTH_FAILED', transient: false });
    expect(denied.message).toBe(
      "MariaDB/MySQL error while connecting to mysql://u:***@h/db: Access denied for user 'u'@'h' (ER_ACCESS_DENIED_ERROR)",
    );
    expect(toMysqlError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'x')).toMatchObject({
      code: 'CONNECTION_FAILED',
      transient: true,
    });
    expect(toMysqlError(new Error('odd'), 'x')).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(classifyMysqlErrorCode('ER_NO_SUCH_TABLE')?.code).toBe('TABLE_NOT_FOUND');
    expect(classifyMysqlErrorCode('ER_LOCK_DEADLOCK')?.transient).toBe(true);
  });
});
