import { encodeGroupPosition, encodeStartPosition, startPartition } from '@cdc/scylla';
import { snapshotPartition } from '@cdc/sqlserver';
import { describe, expect, it } from 'vitest';
import { tableStream } from './table-status.js';

const at = (position: string, updated = '2026-12-01T10:00:00.000Z') => ({ position, updated });

describe('cdc status positions of SQL Server and ScyllaDB sources', () => {
  const orders = { schema: 'dbo', name: 'orders' };

  it('SQL Server: the latest snapshot position before the first streamed batch, then the stream', () => {
    const lsn1 = '00000025:00000d08:0001';
    const lsn2 = '00000026:00000010:0003';
    const checkpoints = new Map([
      [snapshotPartition(orders, lsn1), at(lsn1)],
      [snapshotPartition(orders, lsn2), at(lsn2, '2026-12-01T11:00:00.000Z')],
      [
        snapshotPartition({ schema: 'dbo', name: 'lines' }, '00000099:00000000:0001'),
        at('00000099:00000000:0001'),
      ],
    ]);
    expect(tableStream('sqlserver', orders, checkpoints)).toEqual({
      position: lsn2,
      updated: '2026-12-01T11:00:00.000Z',
    });
    // Once the merged stream has a position, that one is shown (the caller reads `*`).
    checkpoints.set('*', at('00000030:00000000:0001'));
    expect(tableStream('sqlserver', orders, checkpoints)).toBeUndefined();
    expect(tableStream('sqlserver', { schema: 'dbo', name: 'none' }, new Map())).toBeUndefined();
  });

  it('ScyllaDB: stream groups counted, the oldest consumed time shown, the latest update', () => {
    const t = { schema: 'shop', name: 'clicks' };
    const checkpoints = new Map([
      [startPartition('shop.clicks', 1_000), at(encodeStartPosition(1_000))],
      ['shop.clicks#500#v1', at(encodeGroupPosition({ g: 500, w: Date.UTC(2026, 11, 1, 10) }))],
      [
        'shop.clicks#500#v2',
        at(encodeGroupPosition({ g: 500, w: Date.UTC(2026, 11, 1, 9), t: 'x' }), '2026-12-01T12:00:00.000Z'),
      ],
      ['shop.views#500#v1', at(encodeGroupPosition({ g: 500, w: 1 }))],
    ]);
    expect(tableStream('scylla', t, checkpoints)).toEqual({
      position: '2 stream group(s), all consumed up to 2026-12-01T09:00:00.000Z',
      updated: '2026-12-01T12:00:00.000Z',
    });
  });

  it('ScyllaDB before any stream position: the snapshot start', () => {
    const t = { schema: 'shop', name: 'clicks' };
    const checkpoints = new Map([[startPartition('shop.clicks', 0), at(encodeStartPosition(0))]]);
    expect(tableStream('scylla', t, checkpoints)?.position).toBe('snapshot start 1970-01-01T00:00:00.000Z');
    expect(tableStream('scylla', t, new Map())).toBeUndefined();
  });

  it('PostgreSQL sources use the single stream position', () => {
    expect(
      tableStream('postgres', { schema: 'public', name: 'x' }, new Map([['*', at('0/1')]])),
    ).toBeUndefined();
  });
});
