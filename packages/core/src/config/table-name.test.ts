import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { formatTableName, parseTableName, splitQualifiedName } from './table-name.js';

describe('parseTableName', () => {
  it.each([
    ['orders', { name: 'orders' }],
    ['public.orders', { schema: 'public', name: 'orders' }],
    ['Sales.Orders', { schema: 'Sales', name: 'Orders' }],
    ['db.dbo.Orders', { catalog: 'db', schema: 'dbo', name: 'Orders' }],
    ['"Sales-EU"."Order Items"', { schema: 'Sales-EU', name: 'Order Items' }],
    ['"a.b".c', { schema: 'a.b', name: 'c' }],
    ['s."t.u"', { schema: 's', name: 't.u' }],
    ['"say ""hi"""', { name: 'say "hi"' }],
    ['"Orders"', { name: 'Orders' }],
    ['  public.orders  ', { schema: 'public', name: 'orders' }],
    ['"  padded  "', { name: '  padded  ' }],
    ['"über"."Straße"', { schema: 'über', name: 'Straße' }],
    ['sales-eu.items', { schema: 'sales-eu', name: 'items' }],
    ['"."."."', { schema: '.', name: '.' }],
  ])('parses %s', (input, expected) => {
    expect(parseTableName(input)).toEqual(expected);
  });

  it('matches names exactly: capitals are kept, quoted or not', () => {
    expect(parseTableName('Orders')).toEqual(parseTableName('"Orders"'));
    expect(parseTableName('orders')).not.toEqual(parseTableName('Orders'));
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['.orders', /starts with a dot/],
    ['public.', /ends with a dot/],
    ['public..orders', /two dots/],
    ['"unterminated', /not closed/],
    ['"a"b', /unexpected "b" after a quoted part/],
    ['a"b"', /double quote in the middle/],
    ['order items', /followed by a space/],
    ['""', /quoted part is empty/],
    ['a.b.c.d', /4 parts/],
  ])('rejects %j with a reason and the fix', (input, reason) => {
    let message = '';
    try {
      parseTableName(input);
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code?: string }).code).toBe('INVALID_ARGUMENT');
      expect((error as { hint?: string }).hint).toMatch(/double quotes/);
    }
    expect(message).toMatch(reason);
  });

  it('splits any number of parts', () => {
    expect(splitQualifiedName('a."b.c".d.e')).toEqual(['a', 'b.c', 'd', 'e']);
  });

  const part = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });
  test.prop([fc.option(part, { nil: undefined }), part])('format then parse round-trips', (schema, name) => {
    const id = schema === undefined ? { name } : { schema, name };
    expect(parseTableName(formatTableName(id))).toEqual(id);
  });

  it('quotes only where needed', () => {
    expect(formatTableName({ schema: 'public', name: 'orders' })).toBe('public.orders');
    expect(formatTableName({ schema: 'Sales-EU', name: 'Order "Items"' })).toBe(
      '"Sales-EU"."Order ""Items"""',
    );
  });
});
