import { describe, expect, it } from 'vitest';
import { pipelineTables, replicationSlotName } from './pipeline-config.js';

describe('pipeline configuration → engine tables', () => {
  it('maps names, targets, keys and column selections', () => {
    const tables = pipelineTables({
      name: 'p',
      source: 's',
      target: 't',
      tables: [
        'public.orders',
        { source: '"Sales-EU"."Order Items"', target: 'mirror.items', key: ['a'], excludeColumns: ['x'] },
      ],
    } as Parameters<typeof pipelineTables>[0]);
    expect(tables).toEqual([
      { table: { schema: 'public', name: 'orders' } },
      {
        table: { schema: 'Sales-EU', name: 'Order Items' },
        key: ['a'],
        transform: { target: { schema: 'mirror', name: 'items' }, excludeColumns: ['x'] },
      },
    ]);
  });

  it('derives distinct, valid slot names', () => {
    expect(replicationSlotName('sales')).toBe('cdc_sales');
    const odd = replicationSlotName('Sales-EU');
    expect(odd).toMatch(/^cdc_sales_eu_[0-9a-f]{8}$/);
    expect(odd).not.toBe(replicationSlotName('sales_eu'));
    expect(replicationSlotName('x'.repeat(100))).toHaveLength(63);
  });
});
