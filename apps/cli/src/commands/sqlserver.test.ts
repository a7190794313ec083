import type { CdcConfig } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { enableCdcTargets } from './sqlserver.js';

const config = {
  connections: {
    erp: { url: 'mssql://cdc@sql1/Sales' },
    hr: { url: 'sqlserver://cdc@sql2/HR' },
    pg: { url: 'postgres://cdc@pg/app' },
    dw: { url: 'postgres://cdc@dw/dw' },
  },
  pipelines: [
    {
      name: 'sales',
      source: 'erp',
      target: 'dw',
      tables: ['dbo.orders', { source: 'lines', target: 'x.y' }],
    },
    { name: 'sales2', source: 'erp', target: 'dw', tables: ['dbo.orders', 'sales.returns'] },
    { name: 'people', source: 'hr', target: 'dw', tables: ['staff'] },
    { name: 'app', source: 'pg', target: 'dw', tables: ['public.users'] },
  ],
} as unknown as CdcConfig;

describe('cdc sqlserver enable-cdc targets', () => {
  it('takes the pipelines’ tables of the connection, deduplicated, schema dbo by default', () => {
    expect(enableCdcTargets(config, { connection: 'erp', tables: [] })).toEqual({
      connection: 'erp',
      tables: [
        { schema: 'dbo', name: 'orders' },
        { schema: 'dbo', name: 'lines' },
        { schema: 'sales', name: 'returns' },
      ],
    });
  });

  it('finds the connection from a pipeline, and --table overrides the tables', () => {
    expect(enableCdcTargets(config, { pipeline: 'people', tables: [] })).toEqual({
      connection: 'hr',
      tables: [{ schema: 'dbo', name: 'staff' }],
    });
    expect(
      enableCdcTargets(config, { pipeline: 'sales', tables: ['"Sales EU".Orders', 'x', 'dbo.x'] }),
    ).toEqual({
      connection: 'erp',
      tables: [
        { schema: 'Sales EU', name: 'Orders' },
        { schema: 'dbo', name: 'x' },
      ],
    });
  });

  it('asks for --connection when several SQL Server connections qualify', () => {
    expect(() => enableCdcTargets(config, { tables: [] })).toThrow(
      'pipelines replicate from several SQL Server connections (erp, hr)',
    );
    expect(() => enableCdcTargets(config, { pipeline: 'app', tables: [] })).toThrow(
      'no pipeline of the configuration replicates from SQL Server',
    );
  });

  it('rejects unknown and non-SQL Server connections and unknown pipelines', () => {
    expect(() => enableCdcTargets(config, { connection: 'nope', tables: [] })).toThrow(
      'no connection named "nope" in the configuration',
    );
    expect(() => enableCdcTargets(config, { connection: 'pg', tables: [] })).toThrow(
      'connection "pg" is not a SQL Server connection',
    );
    expect(() => enableCdcTargets(config, { pipeline: 'ghost', tables: [] })).toThrow(
      'no embedded pipeline named "ghost"',
    );
  });
});
