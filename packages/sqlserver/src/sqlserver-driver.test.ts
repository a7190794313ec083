import { describe, expect, it } from 'vitest';
import type * as tedious from 'tedious';
import { parseSqlServerUrl } from './sqlserver-config.js';
import { loadTedious, tediousConfigOf, type TediousModuleLike } from './sqlserver-driver.js';

describe('tediousConfigOf', () => {
  it('the real tedious module satisfies the injected slice', () => {
    // Compile-time check (typecheck fails if tedious' shape drifts from the slice cdc uses).
    const accepts = (m: TediousModuleLike) => m;
    const check: (m: typeof tedious) => TediousModuleLike = accepts;
    expect(check).toBe(accepts);
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

describe('tedious accepts the configuration cdc builds', () => {
  // The real tedious Connection validates its configuration in the constructor (connecting is a separate call).
  it.each([
    'mssql://sa:pw@db:1434/shop?trustServerCertificate=true',
    'mssql://u:p@h/db?instanceName=SQLEXPRESS&encrypt=false',
    'mssql://u:p@h/db?encrypt=strict',
    'mssql://u:p@h/db?authentication=ntlm&domain=CORP',
    'mssql://srv.database.windows.net/db?authentication=azure-active-directory-access-token&token=t',
    'mssql://srv.database.windows.net/db?authentication=azure-active-directory-service-principal-secret&clientId=a&clientSecret=b&tenantId=c',
    'mssql://u:p@srv.database.windows.net/db?authentication=azure-active-directory-password&clientId=a&tenantId=c',
    'mssql://srv.database.windows.net/db?authentication=azure-active-directory-default',
    'mssql://srv.database.windows.net/db?authentication=azure-active-directory-msi-vm',
  ])('%s', async (url) => {
    const { Connection } = await import('tedious');
    const cfg = tediousConfigOf(parseSqlServerUrl(url));
    expect(() => new Connection(cfg as unknown as ConstructorParameters<typeof Connection>[0])).not.toThrow();
  });
  it('and rejects what tedious rejects (sanity of the check above)', async () => {
    const { Connection } = await import('tedious');
    const cfg = tediousConfigOf(parseSqlServerUrl('mssql://u:p@h/db'));
    cfg.options.connectTimeout = 'soon';
    expect(() => new Connection(cfg as unknown as ConstructorParameters<typeof Connection>[0])).toThrow();
  });
});

describe('loadTedious (optional peer dependency)', () => {
  it('loads the installed driver', async () => {
    const t = await loadTedious();
    expect(typeof t.Request).toBe('function');
    expect(t.TYPES.NVarChar).toBeDefined();
  });
  it('a missing driver says how to install it', async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find package 'tedious'"), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    await expect(loadTedious(missing)).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      message: 'the SQL Server driver "tedious" is not installed',
      hint: 'it is an optional peer dependency of cdc: npm install tedious',
    });
  });
  it('a driver that is installed but fails to load is not called missing', async () => {
    const broken = async () => {
      throw new SyntaxError('Unexpected token');
    };
    await expect(loadTedious(broken)).rejects.toMatchObject({
      message: 'the SQL Server driver "tedious" could not be loaded: Unexpected token',
      hint: 'reinstall it: npm install tedious',
    });
  });
});
