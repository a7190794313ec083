import type { PipelineConfig } from '@cdc/core';
import { openPipelineReplication as fromWorker } from '@cdc/worker';
import { describe, expect, it } from 'vitest';
import { noSlotMessage, openPipelineReplication } from './replication-sources.js';

const pipeline = { name: 'sales', source: 'erp', target: 'dw', tables: ['dbo.orders'] } as PipelineConfig;

describe('CLI replication sources', () => {
  it('uses the same dispatch as the worker', () => {
    expect(openPipelineReplication).toBe(fromWorker);
  });

  it('--drop-slot explains why other engines have nothing to drop', () => {
    expect(noSlotMessage(pipeline, 'sqlserver')).toMatch(
      /^sales: --drop-slot applies to PostgreSQL sources only; SQL Server CDC capture instances .*sp_cdc_disable_table.*nothing dropped$/,
    );
    expect(noSlotMessage(pipeline, 'scylla')).toContain("cdc = {'enabled': false}");
  });
});
