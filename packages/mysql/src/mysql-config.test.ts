import { describe, expect, it } from 'vitest';
import { parseMysqlConfig, parseMysqlUrl } from './mysql-config.js';

describe('parseMysqlUrl', () => {
  it('reads host, port, user, password, database and options of mysql:// and mariadb:// URLs', () => {
    expect(
      parseMysqlUrl('mysql://app:p%40ss@db.example:3307/shop?ssl=true&hashing=client&poolMax=8'),
    ).toMatchObject({
      host: 'db.example',
      port: 3307,
      user: 'app',
      password: 'p@ss',
      database: 'shop',
      ssl: true,
      hashing: 'client',
      poolMax: 8,
      tinyInt1: 'bool',
    });
    expect(
      parseMysqlUrl('mariadb://u@localhost/db?socket=/run/mysqld/mysqld.sock&tinyint1=int'),
    ).toMatchObject({
      socket: '/run/mysqld/mysqld.sock',
      database: 'db',
      port: 3306,
      tinyInt1: 'int',
    });
    expect(parseMysqlUrl('mysql://[::1]:3306/').host).toBe('::1');
    expect(parseMysqlUrl('mysql://h/').database).toBeUndefined();
    expect(parseMysqlUrl('mysql://h/?ssl=no-verify').ssl).toBe('no-verify');
  });

  it('refuses bad URLs with a hint and without echoing the password', () => {
    const cases = [
      ['not a url', 'is not a valid URL'],
      ['postgres://u:secret@h/db', 'Unsupported scheme'],
      ['mysql://u:secret@h/db/x', 'must be just the database name'],
      ['mysql://u:secret@h/db?colour=red', 'Unknown parameter "colour"'],
      ['mysql://u:secret@h:0/db', 'port'],
      ['mysql://u:secret@h/db?hashing=sometimes', 'hashing'],
    ] as const;
    for (const [url, message] of cases) {
      const error = (() => {
        try {
          parseMysqlUrl(url);
        } catch (e) {
          return e as Error & { code: string; hint?: string };
        }
        throw new Error(`${url} was accepted`);
      })();
      expect(error.code, url).toBe('CONFIG_INVALID');
      expect(error.message, url).toContain(message);
      expect(error.message, url).not.toContain('secret');
    }
  });

  it('validates settings objects', () => {
    expect(parseMysqlConfig({ host: 'h', port: '3306' }).port).toBe(3306);
    expect(() => parseMysqlConfig({ host: 'h', nope: 1 })).toThrow(
      /Invalid MariaDB\/MySQL connection settings/,
    );
  });
});
