import { createConnectorRegistry } from '@cdc/connectors';
import type { PipelineConfig } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { noSlotMessage, sourceEngineOf } from './replication-sources.js';

const pipeline = { name: 'sales', source: 'erp', target: 'dw', tables: ['dbo.orders'] } as PipelineConfig;

describe('CLI replication sources', () => {
  it('--drop-slot explains why other engines have nothing to drop', async () => {
    const connectors = await createConnectorRegistry();
    const connector = (url: string) => connectors.resolve(url, 'source').connector;
    expect(noSlotMessage(pipeline, connector('mssql://sa@h/db'))).toMatch(
      /^sales: --drop-slot applies to PostgreSQL sources only; SQL Server CDC capture instances .*sp_cdc_disable_table.*nothing dropped$/,
    );
    expect(noSlotMessage(pipeline, connector('scylla://h/ks'))).toContain("cdc = {'enabled': false}");
  });

  it('names the source engine by the descriptor of its scheme', async () => {
    const connectors = await createConnectorRegistry();
    const engine = (url: string) => sourceEngineOf(connectors, pipeline, { name: 'erp', url });
    expect(engine('postgresql://h/db')).toBe('postgres');
    expect(engine('sqlserver://h/db')).toBe('sqlserver');
    expect(engine('cassandra://h/ks')).toBe('scylla');
    expect(() => engine('oracle://h/db')).toThrow(
      /^pipeline sales: source connection "erp" URL oracle:\/\/h\/db: unsupported scheme "oracle:"$/,
    );
  });
});
