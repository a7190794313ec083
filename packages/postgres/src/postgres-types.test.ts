import type { CdcError } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { castTypeOf, mapNativeType, nativeTypeFor } from './postgres-types.js';

const t = { schema: 'public', name: 'orders' };
const info = (typname: string, typmod = -1, extra: Partial<Parameters<typeof mapNativeType>[0]> = {}) => ({
  typname,
  typtype: 'b',
  typmod,
  formatted: typname,
  ...extra,
});

describe('native → logical types', () => {
  it('decodes typmods: numeric precision/scale (negative scales too), instant precision, lengths', () => {
    expect(mapNativeType(info('numeric', ((12 << 16) | 2) + 4), t, 'c').type).toEqual({
      kind: 'numeric',
      precision: 12,
      scale: 2,
    });
    expect(mapNativeType(info('numeric', ((5 << 16) | 0x7fe) + 4), t, 'c').type).toEqual({
      kind: 'numeric',
      precision: 5,
      scale: -2,
    });
    expect(mapNativeType(info('timestamptz', 3), t, 'c').type).toEqual({ kind: 'timestamptz', precision: 3 });
    expect(mapNativeType(info('varchar', 14), t, 'c')).toEqual({ type: { kind: 'text' }, length: 10 });
    expect(mapNativeType(info('bpchar', 8), t, 'c')).toEqual({
      type: { kind: 'text' },
      length: 4,
      fixedLength: true,
    });
    expect(mapNativeType(info('_int4', -1, { elemTypname: 'int4' }), t, 'c').type).toEqual({
      kind: 'list',
      element: { kind: 'int32' },
    });
    expect(mapNativeType(info('mood', -1, { typtype: 'e' }), t, 'c').type).toEqual({ kind: 'text' });
  });

  it('rejects what it cannot compare, naming column and type', () => {
    const error = (() => {
      try {
        mapNativeType(info('tsvector', -1, { formatted: 'tsvector' }), t, 'Search "Doc"');
      } catch (e) {
        return e as CdcError;
      }
    })();
    expect(error?.code).toBe('UNSUPPORTED_TYPE');
    expect(error?.message).toContain('"Search \\"Doc\\""');
    expect(error?.message).toContain('tsvector');
    expect(error?.message).toContain('orders');
  });
});

describe('casts and DDL', () => {
  it('casts parameters to the type without modifiers, never to char(1) or bit(1)', () => {
    expect(castTypeOf('numeric(12,2)')).toBe('numeric');
    expect(castTypeOf('timestamp(3) with time zone')).toBe('timestamp with time zone');
    expect(castTypeOf('character(4)')).toBe('bpchar');
    expect(castTypeOf('character varying(10)[]')).toBe('character varying[]');
    expect(castTypeOf('character(2)[]')).toBe('bpchar[]');
    expect(castTypeOf('bit(3)')).toBe('varbit');
    expect(castTypeOf('interval day to second(3)')).toBe('interval');
    expect(castTypeOf('"My.Schema".mood')).toBe('"My.Schema".mood');
  });

  it('maps logical types to target DDL', () => {
    expect(nativeTypeFor({ kind: 'numeric', precision: 38, scale: 10 })).toBe('numeric(38,10)');
    expect(nativeTypeFor({ kind: 'numeric' })).toBe('numeric');
    expect(nativeTypeFor({ kind: 'timestamp', precision: 7 })).toBe('timestamp(6)');
    expect(nativeTypeFor({ kind: 'list', element: { kind: 'uuid' } })).toBe('uuid[]');
    expect(nativeTypeFor({ kind: 'set', element: { kind: 'list', element: { kind: 'int32' } } })).toBe(
      'jsonb',
    );
    expect(nativeTypeFor({ kind: 'map', key: { kind: 'text' }, value: { kind: 'int32' } })).toBe('jsonb');
  });
});
