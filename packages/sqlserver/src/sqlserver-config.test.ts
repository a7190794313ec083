import { describe, expect, it } from 'vitest';
import { isAzureSqlHost, parseSqlServerConfig, parseSqlServerUrl } from './sqlserver-config.js';

describe('parseSqlServerUrl', () => {
  it('reads user, password, host, port, database and defaults', () => {
    const c = parseSqlServerUrl('mssql://sa:p%40ss@db.local:1434/sales');
    expect(c).toMatchObject({
      host: 'db.local',
      port: 1434,
      user: 'sa',
      password: 'p@ss',
      database: 'sales',
      encrypt: true,
      trustServerCertificate: false,
      authentication: 'default',
      hashing: 'auto',
      snapshotIsolation: 'snapshot',
    });
  });
  it('accepts sqlserver:// and query options case-insensitively', () => {
    const c = parseSqlServerUrl(
      'sqlserver://u@h/db?Encrypt=false&TrustServerCertificate=true&instanceName=SQLEXPRESS&hashing=client&poolMax=8',
    );
    expect(c).toMatchObject({
      encrypt: false,
      trustServerCertificate: true,
      instanceName: 'SQLEXPRESS',
      hashing: 'client',
      poolMax: 8,
    });
    expect(c.port).toBeUndefined();
  });
  it('reads a percent-encoded host\\instance', () => {
    expect(parseSqlServerUrl('mssql://u@h%5CINST/db').instanceName).toBe('INST');
  });
  it('accepts encrypt=strict (TDS 8.0)', () => {
    expect(parseSqlServerUrl('mssql://u@h/db?encrypt=strict').encrypt).toBe('strict');
  });
  it('reads Azure AD service principal options and checks they are complete', () => {
    const c = parseSqlServerUrl(
      'mssql://srv.database.windows.net/db?authentication=azure-active-directory-service-principal-secret&clientId=a&clientSecret=b&tenantId=c',
    );
    expect(c.authentication).toBe('azure-active-directory-service-principal-secret');
    expect(() =>
      parseSqlServerUrl(
        'mssql://srv.database.windows.net/db?authentication=azure-active-directory-service-principal-secret&clientId=a',
      ),
    ).toThrow(/needs clientSecret, tenantId/);
  });
  it('refuses encrypt=false for Azure SQL', () => {
    expect(() => parseSqlServerUrl('mssql://u:p@x.database.windows.net/db?encrypt=false')).toThrow(
      /requires TLS/,
    );
    expect(isAzureSqlHost('x.database.windows.net')).toBe(true);
    expect(isAzureSqlHost('localhost')).toBe(false);
  });
  it('gives clear errors without leaking the password', () => {
    expect(() => parseSqlServerUrl('postgres://u:secret@h/db')).toThrow(/Unsupported scheme "postgres:"/);
    expect(() => parseSqlServerUrl('mssql://u:secret@h/db?bogus=1')).toThrow(/Unknown parameter "bogus"/);
    expect(() => parseSqlServerUrl('mssql://u:secret@h/db?bogus=1')).not.toThrow(/secret/);
    expect(() => parseSqlServerUrl('mssql://u:secret@h:1433/db?instanceName=X')).toThrow(
      /either a port or instanceName/,
    );
    expect(() => parseSqlServerUrl('mssql://u:secret@h:1433/db?poolMax=0')).toThrow(/poolMax/);
    expect(() => parseSqlServerUrl('not a url')).toThrow(/not a valid URL/);
    expect(() => parseSqlServerUrl('mssql://u@h/a/b')).toThrow(/just the database name/);
  });
});

describe('parseSqlServerConfig', () => {
  it('validates objects with precise paths', () => {
    expect(() => parseSqlServerConfig({ host: 'h', hashing: 'fast' })).toThrow(/hashing/);
    expect(() => parseSqlServerConfig({ host: 'h', poolMin: 5, poolMax: 2 })).toThrow(
      /poolMin 5 > poolMax 2/,
    );
    expect(parseSqlServerConfig({ host: 'h' }).database).toBe('master');
  });
});
