/**
 * Offline checks of the SQL Server contract fixture (runs here, without a server): every column type it
 * creates for the contract tables introspects back to the contract's logical kind, and every value it
 * inserts encodes as a parameter — so the gated real-server suite fails on the adapter, not the fixture.
 */
import { adaptContractTable, compositeKeyTable, typeParityTable } from '@cdc/testkit';
import { describe, expect, it } from 'vitest';
import { encodeSqlServerParam, mapSqlServerType, sqlServerSql } from '../src/index.js';
import { SQLSERVER_CONTRACT_TYPES, contractTestColumns, testColumn } from './sqlserver-test-server.js';

/** `decimal(38,12)` / `nvarchar(max)` / `time(6)` → what sys.columns reports for it. */
function columnInfo(name: string, native: string) {
  const m = /^(\w+)(?:\((max|\d+)(?:,(\d+))?\))?$/.exec(native);
  if (!m) throw new Error(`cannot parse ${native}`);
  const typeName = m[1] as string;
  const arg = m[2];
  const fixed: Record<string, { precision: number; scale: number; maxLength: number }> = {
    smallint: { precision: 5, scale: 0, maxLength: 2 },
    int: { precision: 10, scale: 0, maxLength: 4 },
    bigint: { precision: 19, scale: 0, maxLength: 8 },
    real: { precision: 24, scale: 0, maxLength: 4 },
    float: { precision: 53, scale: 0, maxLength: 8 },
    bit: { precision: 1, scale: 0, maxLength: 1 },
    uniqueidentifier: { precision: 0, scale: 0, maxLength: 16 },
    date: { precision: 10, scale: 0, maxLength: 3 },
  };
  if (fixed[typeName]) return { name, typeName, nullable: true, ...fixed[typeName] };
  if (typeName === 'decimal')
    return {
      name,
      typeName,
      nullable: true,
      precision: Number(arg),
      scale: Number(m[3] ?? 0),
      maxLength: 17,
    };
  if (['time', 'datetime2', 'datetimeoffset'].includes(typeName))
    return { name, typeName, nullable: true, precision: 0, scale: Number(arg), maxLength: 8 };
  const bytes = arg === 'max' ? -1 : Number(arg) * (typeName.startsWith('n') ? 2 : 1);
  return { name, typeName, nullable: true, precision: 0, scale: 0, maxLength: bytes, collation: null };
}

describe('SQL Server contract fixture (offline)', () => {
  const tables = [typeParityTable('type parity "t"'), compositeKeyTable('order', 20)].map(
    (t) => adaptContractTable(t, SQLSERVER_CONTRACT_TYPES).table,
  );

  it('creates types that introspect to the contract kinds (precision kept)', () => {
    for (const table of tables) {
      for (const c of contractTestColumns(table)) {
        const mapped = mapSqlServerType(columnInfo(c.name, c.native));
        expect(mapped.type.kind, `${c.name} ${c.native}`).toBe(c.type.kind);
        if ('precision' in c.type && c.type.precision !== undefined)
          expect((mapped.type as { precision?: number }).precision, c.name).toBe(c.type.precision);
      }
    }
  });

  it('encodes every adapted contract value as a parameter cast to its column', () => {
    let cells = 0;
    for (const table of tables) {
      for (const row of table.rows) {
        for (const c of contractTestColumns(table)) {
          const col = testColumn(c, table.primaryKey.includes(c.name));
          const param = encodeSqlServerParam(col, row[c.name]);
          expect(param.value === null, `${c.name} of ${JSON.stringify(row.id)}`).toBe(row[c.name] === null);
          expect(sqlServerSql.paramCastSql(col, 'p')).toContain('@p');
          cells++;
        }
      }
    }
    expect(cells).toBeGreaterThan(100);
  });

  it('leaves out exactly the kinds SQL Server lacks', () => {
    const parity = adaptContractTable(typeParityTable('t'), SQLSERVER_CONTRACT_TYPES);
    expect(parity.omitted.filter((o) => o.what === 'column').map((o) => o.column)).toEqual([
      'span',
      'doc',
      'ints',
      'words',
    ]);
  });
});
