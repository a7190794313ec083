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

  it('leaves text without secrets alone', () => {
    expect(new Redactor().redact('postgres://app@db/shop')).toBe('postgres://app@db/shop');
  });
});
