import { describe, expect, it } from 'vitest';
import { detectFlavour, majorVersionOf } from './sqlserver-flavour.js';

describe('detectFlavour', () => {
  it('SQL Server 2022 on Linux', () => {
    const f = detectFlavour({
      version:
        'Microsoft SQL Server 2022 (RTM-CU12) (KB5033663) - 16.0.4115.5 (X64) ... on Linux (Ubuntu 22.04.4 LTS)',
      engineEdition: 3,
      productVersion: '16.0.4115.5',
      babelfish: null,
    });
    expect(f).toMatchObject({
      kind: 'sqlserver',
      majorVersion: 16,
      supportsCdc: true,
      supportsUtf8Collation: true,
      captureByAgent: true,
    });
  });
  it('SQL Server 2017 has no UTF-8 collation', () => {
    const f = detectFlavour({
      version: 'Microsoft SQL Server 2017',
      engineEdition: 2,
      productVersion: '14.0.3456.2',
      babelfish: null,
    });
    expect(f.supportsUtf8Collation).toBe(false);
    expect(f.supportsDatediffBig).toBe(true);
  });
  it('Azure SQL Database: engine edition 5, built-in capture scheduler', () => {
    const f = detectFlavour({
      version: 'Microsoft SQL Azure (RTM) - 12.0.2000.8',
      engineEdition: 5,
      productVersion: '12.0.2000.8',
      babelfish: null,
    });
    expect(f).toMatchObject({
      kind: 'azure-sql-database',
      supportsCdc: true,
      supportsUtf8Collation: true,
      captureByAgent: false,
    });
  });
  it('Azure SQL Managed Instance: engine edition 8, Agent', () => {
    const f = detectFlavour({
      version: 'Microsoft SQL Azure (RTM) - 12.0.2000.8',
      engineEdition: 8,
      productVersion: '12.0.2000.8',
      babelfish: null,
    });
    expect(f).toMatchObject({ kind: 'azure-sql-managed-instance', captureByAgent: true });
  });
  it('Babelfish by SERVERPROPERTY or @@VERSION: no CDC, UTF-8 nvarchar, 6 digits', () => {
    const byProperty = detectFlavour({
      version: 'x',
      engineEdition: 3,
      productVersion: '12.0.2000.8',
      babelfish: '1',
    });
    const byVersion = detectFlavour({
      version:
        'Babelfish for Aurora PostgreSQL with SQL Server Compatibility - 12.0.2000.8 ... (Babelfish 3.4.0)',
      engineEdition: null,
      productVersion: null,
      babelfish: null,
    });
    for (const f of [byProperty, byVersion]) {
      expect(f).toMatchObject({
        kind: 'babelfish',
        supportsCdc: false,
        nvarcharIsUtf8: true,
        maxTimePrecision: 6,
      });
    }
  });
  it('majorVersionOf', () => {
    expect(majorVersionOf('15.0.2000.5')).toBe(15);
    expect(majorVersionOf(null)).toBe(0);
  });
});
