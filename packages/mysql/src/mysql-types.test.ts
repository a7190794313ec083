import { describe, expect, it } from 'vitest';
import { mapMysqlType, type MysqlColumnInfo } from './mysql-types.js';

const info = (
  dataType: string,
  columnType: string,
  extra: Partial<MysqlColumnInfo> = {},
): MysqlColumnInfo => ({
  name: 'c',
  dataType,
  columnType,
  nullable: true,
  maxLength: null,
  precision: null,
  scale: null,
  datetimePrecision: null,
  charset: null,
  collation: null,
  ...extra,
});

describe('mapMysqlType', () => {
  it('maps integers by size and signedness, keeping unsigned values exact', () => {
    const kinds = [
      ['tinyint', 'tinyint(4)', 'int16'],
      ['tinyint', 'tinyint(3) unsigned', 'int16'],
      ['smallint', 'smallint(6)', 'int16'],
      ['smallint', 'smallint(5) unsigned', 'int32'],
      ['mediumint', 'mediumint(8) unsigned', 'int32'],
      ['int', 'int(11)', 'int32'],
      ['int', 'int(10) unsigned', 'int64'],
      ['bigint', 'bigint(20)', 'int64'],
      ['year', 'year(4)', 'int16'],
    ];
    for (const [dataType, columnType, kind] of kinds) {
      expect(mapMysqlType(info(dataType!, columnType!)).type, columnType).toEqual({ kind });
    }
    expect(mapMysqlType(info('bigint', 'bigint(20) unsigned')).type).toEqual({
      kind: 'numeric',
      precision: 20,
      scale: 0,
    });
  });

  it('maps tinyint(1) to bool unless asked for integers; bit(1) to bool, bit(n) to bytes', () => {
    expect(mapMysqlType(info('tinyint', 'tinyint(1)')).type).toEqual({ kind: 'bool' });
    expect(mapMysqlType(info('tinyint', 'tinyint(1)'), { tinyInt1: 'int' }).type).toEqual({ kind: 'int16' });
    expect(mapMysqlType(info('tinyint', 'tinyint(1) unsigned')).type).toEqual({ kind: 'int16' });
    expect(mapMysqlType(info('bit', 'bit(1)', { precision: 1 })).type).toEqual({ kind: 'bool' });
    expect(mapMysqlType(info('bit', 'bit(12)', { precision: 12 }))).toMatchObject({
      type: { kind: 'bytes' },
      bits: 12,
      length: 2,
    });
  });

  it('maps decimals, floats, text, binary, temporal, json and uuid types', () => {
    expect(mapMysqlType(info('decimal', 'decimal(12,2)', { precision: 12, scale: 2 })).type).toEqual({
      kind: 'numeric',
      precision: 12,
      scale: 2,
    });
    expect(mapMysqlType(info('float', 'float')).type).toEqual({ kind: 'float32' });
    expect(mapMysqlType(info('double', 'double')).type).toEqual({ kind: 'float64' });
    for (const t of ['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set']) {
      expect(mapMysqlType(info(t, t)).type, t).toEqual({ kind: 'text' });
    }
    for (const t of ['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']) {
      expect(mapMysqlType(info(t, t)).type, t).toEqual({ kind: 'bytes' });
    }
    expect(mapMysqlType(info('date', 'date')).type).toEqual({ kind: 'date' });
    expect(mapMysqlType(info('datetime', 'datetime(6)', { datetimePrecision: 6 })).type).toEqual({
      kind: 'timestamp',
      precision: 6,
    });
    expect(mapMysqlType(info('datetime', 'datetime')).type).toEqual({ kind: 'timestamp', precision: 0 });
    expect(mapMysqlType(info('timestamp', 'timestamp(3)', { datetimePrecision: 3 })).type).toEqual({
      kind: 'timestamptz',
      precision: 3,
    });
    expect(mapMysqlType(info('time', 'time(6)', { datetimePrecision: 6 })).type).toEqual({
      kind: 'time',
      precision: 6,
    });
    expect(mapMysqlType(info('json', 'json')).type).toEqual({ kind: 'json' });
    expect(mapMysqlType(info('longtext', 'longtext', { jsonCheck: true }))).toEqual({
      type: { kind: 'json' },
      nativeType: 'json',
    });
    expect(mapMysqlType(info('uuid', 'uuid')).type).toEqual({ kind: 'uuid' });
    expect(mapMysqlType(info('inet6', 'inet6')).type).toEqual({ kind: 'inet' });
  });

  it('refuses spatial and unknown types, naming the column and type', () => {
    expect(() => mapMysqlType(info('geometry', 'geometry'))).toThrow(
      /Column "c" has type geometry: spatial types/,
    );
    expect(() => mapMysqlType(info('mystery', 'mystery'))).toThrow(/no mapping/);
  });
});
