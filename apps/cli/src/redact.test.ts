import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.js';

describe('Redactor', () => {
  it('masks passwords inside URLs of any scheme', () => {
    const r = new Redactor();
    expect(r.redact('cannot reach postgres://app:hunter2@db:5432/shop and mssql://sa:P%40ss@sql1/db')).toBe(
      'cannot reach postgres://app:***@db:5432/shop and mssql://sa:***@sql1/db',
    );
  });

  it('masks registered secrets, raw and percent-encoded, longest first', () => {
    const r = new Redactor();
    r.add('p@ss word');
    r.add('p@ss');
    r.add('ab'); // too short to mask safely
    expect(r.redact('x p@ss word y p%40ss%20word z p@ss ab')).toBe('x *** y *** z *** ab');
  });

  it('masks a secret where it stands as a token, not inside a longer name', () => {
    const r = new Redactor();
    r.add('orders');
    r.add('!x-y!');
    expect(r.redact('relation "orders.orders_2024" does not exist; Password=orders;')).toBe(
      'relation "***.orders_2024" does not exist; Password=***;',
    );
    expect(r.redact('benchorders ordersé orders1 "orders" (orders) a!x-y!b')).toBe(
      'benchorders ordersé orders1 "***" (***) a***b',
    );
  });

  it('masks secrets with regular-expression characters literally', () => {
    const r = new Redactor();
    r.add('a.b*c');
    expect(r.redact('axb*c a.b*c')).toBe('axb*c ***');
  });

  it('leaves text without secrets alone', () => {
    expect(new Redactor().redact('postgres://app@db/shop')).toBe('postgres://app@db/shop');
  });
});
