import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as tedious from 'tedious';
import { parseSqlServerUrl } from './sqlserver-config.js';
import { tediousConfigOf, type TediousModuleLike } from './sqlserver-driver.js';

describe('tediousConfigOf', () => {
  it('the real tedious module satisfies the injected slice', () => {
    expectTypeOf<typeof tedious>().toMatchTypeOf<TediousModuleLike>();
  });
  it('SQL authentication, port, TLS and the options decoding relies on', () => {
    const c = tediousConfigOf(
      parseSqlServerUrl('mssql://sa:pw@db:1434/shop?trustServerCertificate=true&applicationIntent=ReadOnly'),
    );
    expect(c).toEqual({
      server: 'db',
      authentication: { type: 'default', options: { userName: 'sa', password: 'pw' } },
      options: {
        database: 'shop',
        encrypt: true,
        trustServerCertificate: true,
        appName: 'cdc',
        connectTimeout: 15000,
        requestTimeout: 0,
        readOnlyIntent: true,
        multiSubnetFailover: false,
        useUTC: true,
        useColumnNames: false,
        rowCollectionOnRequestCompletion: false,
        port: 1434,
      },
    });
  });
  it('named instance instead of a port; Azure AD service principal', () => {
    const named = tediousConfigOf(parseSqlServerUrl('mssql://u:p@h/db?instanceName=SQLEXPRESS'));
    expect(named.options.instanceName).toBe('SQLEXPRESS');
    expect(named.options.port).toBeUndefined();
    const sp = tediousConfigOf(
      parseSqlServerUrl(
        'mssql://srv.database.windows.net/db?authentication=azure-active-directory-service-principal-secret&clientId=a&clientSecret=b&tenantId=c&hostNameInCertificate=*.database.windows.net',
      ),
    );
    expect(sp.authentication).toEqual({
      type: 'azure-active-directory-service-principal-secret',
      options: { clientId: 'a', clientSecret: 'b', tenantId: 'c' },
    });
    expect(sp.options.serverName).toBe('*.database.windows.net');
    expect(sp.options.port).toBe(1433);
  });
});
