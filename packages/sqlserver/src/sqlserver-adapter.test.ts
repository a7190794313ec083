import { describe, expect, it } from 'vitest';
import { sqlServerCapabilities } from './sqlserver-adapter.js';
import { detectFlavour } from './sqlserver-flavour.js';

const sql2022 = detectFlavour({
  version: 'Microsoft SQL Server 2022',
  engineEdition: 3,
  productVersion: '16.0.4115.5',
  babelfish: null,
});
const sql2017 = detectFlavour({
  version: 'Microsoft SQL Server 2017',
  engineEdition: 3,
  productVersion: '14.0.3456.2',
  babelfish: null,
});
const sql2014 = detectFlavour({
  version: 'Microsoft SQL Server 2014',
  engineEdition: 3,
  productVersion: '12.0.6024.0',
  babelfish: null,
});
const babelfish = detectFlavour({
  version: 'Babelfish for Aurora PostgreSQL',
  engineEdition: null,
  productVersion: '12.0.2000.8',
  babelfish: '1',
});

describe('sqlServerCapabilities', () => {
  it('SQL Server 2019+: pushdown of every scalar kind but json, int-range buckets, ordered scans', () => {
    const c = sqlServerCapabilities(sql2022, 'auto');
    expect(c).toMatchObject({
      exactCount: true,
      estimatedCount: true,
      orderedScan: true,
      hashPushdown: true,
      intRangeBuckets: true,
      tokenPartitioned: false,
    });
    expect(c.pushdownKinds).toContain('text');
    expect(c.pushdownKinds).not.toContain('json');
    expect(c.nativeHashFamily).toBeUndefined();
  });
  it('SQL Server 2017: text is hashed client-side (no UTF-8 collation)', () => {
    const c = sqlServerCapabilities(sql2017, 'auto');
    expect(c.hashPushdown).toBe(true);
    expect(c.pushdownKinds).not.toContain('text');
  });
  it('SQL Server 2014, Babelfish and hashing: client push nothing down', () => {
    for (const c of [
      sqlServerCapabilities(sql2014, 'auto'),
      sqlServerCapabilities(babelfish, 'auto'),
      sqlServerCapabilities(sql2022, 'client'),
    ]) {
      expect(c.hashPushdown).toBe(false);
      expect(c.pushdownKinds).toEqual([]);
      expect(c.intRangeBuckets).toBe(false);
    }
  });
});
