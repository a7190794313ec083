import { describe, expect, it } from 'vitest';
import {
  pipelineBatchLimits,
  pipelineRunOptions,
  pipelineSlotName,
  pipelineTables,
  replicationSlotName,
} from './pipeline-config.js';

type Pipeline = Parameters<typeof pipelineTables>[0];

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
    } as Pipeline);
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

  it('maps rename, mask (with the pipeline salt), deletes and targetSchema to transforms', () => {
    const pipeline: Pipeline = {
      name: 'crm',
      source: 's',
      target: 't',
      targetSchema: 'mirror',
      hashSalt: 'pepper',
      tables: [
        'public.orders',
        {
          source: 'public.people',
          rename: { email_address: 'email' },
          mask: { ssn: 'redact' },
          deletes: 'soft',
        },
        { source: 'public.notes', target: 'archive.notes', rename: {}, mask: {} },
      ],
    };
    expect(pipelineTables(pipeline)).toEqual([
      {
        table: { schema: 'public', name: 'orders' },
        transform: { target: { schema: 'mirror', name: 'orders' } },
      },
      {
        table: { schema: 'public', name: 'people' },
        transform: {
          target: { schema: 'mirror', name: 'people' },
          renameColumns: { email_address: 'email' },
          mask: { ssn: 'redact' },
          hashSalt: 'pepper',
          deletes: 'soft',
        },
      },
      {
        table: { schema: 'public', name: 'notes' },
        transform: { target: { schema: 'archive', name: 'notes' } },
      },
    ]);
  });

  it('maps batch limits (maxDelayMs is the engine maxWaitMs) and leaves defaults to the engine', () => {
    const p: Pipeline = { name: 'p', source: 's', target: 't', tables: ['t'] };
    expect(pipelineBatchLimits(p)).toBeUndefined();
    expect(pipelineBatchLimits({ ...p, batch: {} })).toBeUndefined();
    expect(pipelineBatchLimits({ ...p, batch: { maxRows: 100, maxBytes: 2048, maxDelayMs: 0 } })).toEqual({
      maxRows: 100,
      maxBytes: 2048,
      maxWaitMs: 0,
    });
    expect(pipelineRunOptions({ ...p, mode: 'stream', batch: { maxDelayMs: 10 } })).toEqual({
      name: 'p',
      tables: [{ table: { name: 't' } }],
      mode: 'stream',
      batch: { maxWaitMs: 10 },
    });
    expect(pipelineRunOptions(p)).toEqual({ name: 'p', tables: [{ table: { name: 't' } }] });
  });

  it('uses the configured slot, else the derived one', () => {
    expect(pipelineSlotName({ name: 'Sales-EU', slot: 'cdc_sales_v2' })).toBe('cdc_sales_v2');
    expect(pipelineSlotName({ name: 'Sales-EU' })).toBe(replicationSlotName('Sales-EU'));
  });
});
