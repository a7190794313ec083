import { describe, expect, it } from 'vitest';
import {
  SQLSERVER_TYPE_NAMES,
  UNSUPPORTED_SQLSERVER_TYPES,
  mapSqlServerType,
  type SqlServerColumnInfo,
} from './sqlserver-types.js';

const col = (typeName: string, extra: Partial<SqlServerColumnInfo> = {}): SqlServerColumnInfo => ({
  name: 'c',
  typeName,
  maxLength: 8,
  precision: 0,
  scale: 0,
  nullable: true,
  ...extra,
});

describe('mapSqlServerType', () => {
  it.each([
    ['bit', {}, { kind: 'bool' }, 'bit'],
    ['tinyint', {}, { kind: 'int16' }, 'tinyint'],
    ['smallint', {}, { kind: 'int16' }, 'smallint'],
    ['int', {}, { kind: 'int32' }, 'int'],
    ['bigint', {}, { kind: 'int64' }, 'bigint'],
    [
      'decimal',
      { precision: 38, scale: 10 },
      { kind: 'numeric', precision: 38, scale: 10 },
      'decimal(38,10)',
    ],
    ['numeric', { precision: 12, scale: 2 }, { kind: 'numeric', precision: 12, scale: 2 }, 'numeric(12,2)'],
    ['money', {}, { kind: 'numeric', precision: 19, scale: 4 }, 'money'],
    ['smallmoney', {}, { kind: 'numeric', precision: 10, scale: 4 }, 'smallmoney'],
    ['real', {}, { kind: 'float32' }, 'real'],
    ['float', {}, { kind: 'float64' }, 'float'],
    ['date', {}, { kind: 'date' }, 'date'],
    ['time', { scale: 7 }, { kind: 'time', precision: 7 }, 'time(7)'],
    ['datetime', {}, { kind: 'timestamp', precision: 3 }, 'datetime'],
    ['smalldatetime', {}, { kind: 'timestamp', precision: 0 }, 'smalldatetime'],
    ['datetime2', { scale: 3 }, { kind: 'timestamp', precision: 3 }, 'datetime2(3)'],
    ['datetimeoffset', { scale: 7 }, { kind: 'timestamptz', precision: 7 }, 'datetimeoffset(7)'],
    ['char', { maxLength: 10 }, { kind: 'text' }, 'char(10)'],
    ['varchar', { maxLength: -1 }, { kind: 'text' }, 'varchar(max)'],
    ['nchar', { maxLength: 20 }, { kind: 'text' }, 'nchar(10)'],
    ['nvarchar', { maxLength: 100 }, { kind: 'text' }, 'nvarchar(50)'],
    ['text', { maxLength: 16 }, { kind: 'text' }, 'text'],
    ['ntext', { maxLength: 16 }, { kind: 'text' }, 'ntext'],
    ['xml', { maxLength: -1 }, { kind: 'text' }, 'xml'],
    ['json', { maxLength: -1 }, { kind: 'json' }, 'json'],
    ['uniqueidentifier', {}, { kind: 'uuid' }, 'uniqueidentifier'],
    ['binary', { maxLength: 16 }, { kind: 'bytes' }, 'binary(16)'],
    ['varbinary', { maxLength: -1 }, { kind: 'bytes' }, 'varbinary(max)'],
    ['image', {}, { kind: 'bytes' }, 'image'],
    ['timestamp', {}, { kind: 'bytes' }, 'rowversion'],
    ['rowversion', {}, { kind: 'bytes' }, 'rowversion'],
    ['hierarchyid', { maxLength: 892 }, { kind: 'bytes' }, 'hierarchyid'],
    ['geometry', { maxLength: -1 }, { kind: 'bytes' }, 'geometry'],
    ['geography', { maxLength: -1 }, { kind: 'bytes' }, 'geography'],
  ] as const)('%s %j → %j as %s', (typeName, extra, type, nativeType) => {
    const m = mapSqlServerType(col(typeName, extra));
    expect(m.type).toEqual(type);
    expect(m.nativeType).toBe(nativeType);
  });

  it('keeps lengths in characters and marks fixed-width types', () => {
    expect(mapSqlServerType(col('nchar', { maxLength: 20 }))).toMatchObject({
      length: 10,
      fixedLength: true,
    });
    expect(mapSqlServerType(col('varchar', { maxLength: -1 })).length).toBeUndefined();
  });
  it('spells sysname as the alias', () => {
    expect(mapSqlServerType(col('nvarchar', { maxLength: 256, userTypeName: 'sysname' })).nativeType).toBe(
      'sysname',
    );
  });
  it('caps time precision at 6 on Babelfish', () => {
    expect(mapSqlServerType(col('datetime2', { scale: 7 }), { kind: 'babelfish' }).type).toEqual({
      kind: 'timestamp',
      precision: 6,
    });
  });
  it('reports unsupported types by column and type name', () => {
    expect(() =>
      mapSqlServerType(col('sql_variant', { name: 'v' }), undefined, { schema: 'dbo', name: 'T' }),
    ).toThrow(
      'Column "v" in dbo."T" has SQL Server type sql_variant, which cdc cannot compare or replicate.',
    );
    expect(() => mapSqlServerType(col('vector'))).toThrow(/vector/);
    expect(() => mapSqlServerType(col('mystery'))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_TYPE', hint: expect.stringMatching(/please report/) }),
    );
  });
  it('covers every listed type name', () => {
    for (const name of SQLSERVER_TYPE_NAMES) {
      if (UNSUPPORTED_SQLSERVER_TYPES.has(name)) expect(() => mapSqlServerType(col(name))).toThrow();
      else expect(mapSqlServerType(col(name, { precision: 10, scale: 2 })).type.kind).toBeTruthy();
    }
  });
});
