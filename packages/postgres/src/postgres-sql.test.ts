import { describe, expect, it } from 'vitest';
import { qualifiedName, quoteIdent, quoteLiteral } from './postgres-sql.js';

describe('quoting', () => {
  it('always quotes identifiers, doubling quotes', () => {
    expect(quoteIdent('order')).toBe('"order"');
    expect(quoteIdent('a "b".c')).toBe('"a ""b"".c"');
    expect(qualifiedName({ name: 'T' })).toBe('"public"."T"');
    expect(qualifiedName({ schema: 'S.x', name: 'Ü' })).toBe('"S.x"."Ü"');
    expect(() => quoteIdent('a\u0000')).toThrow();
  });

  it('writes literals safe under any standard_conforming_strings', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('back\\slash')).toBe("E'back\\\\slash'");
  });
});
