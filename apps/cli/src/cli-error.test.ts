import { CdcError } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { classifyError, formatError } from './cli-error.js';

function driverError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('classifyError', () => {
  it.each([
    [
      driverError('ECONNREFUSED', 'connect ECONNREFUSED', { address: '127.0.0.1', port: 1 }),
      'CONNECTION_FAILED',
      /connection refused at 127\.0\.0\.1:1/,
    ],
    [
      driverError('ENOTFOUND', 'getaddrinfo ENOTFOUND', { hostname: 'nowhere.invalid' }),
      'CONNECTION_FAILED',
      /host nowhere\.invalid not found/,
    ],
    [
      driverError('28P01', 'password authentication failed for user "app"'),
      'AUTH_FAILED',
      /authentication failed/,
    ],
    [
      driverError('3D000', 'database "nope" does not exist'),
      'CONNECTION_FAILED',
      /database "nope" does not exist/,
    ],
    [driverError('42P01', 'relation "x" does not exist'), 'TABLE_NOT_FOUND', /relation "x"/],
    [driverError('42501', 'permission denied for table x'), 'PERMISSION_DENIED', /permission denied/],
    [new Error('Login failed for user sa'), 'AUTH_FAILED', /Login failed/],
    [new Error('boom'), 'INTERNAL', /boom \(source\)/],
  ])('maps %s', (error, code, message) => {
    const mapped = classifyError(error, 'source');
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(message);
    expect(mapped.hint).toBeTruthy();
  });

  it('keeps CdcErrors as they are', () => {
    const e = new CdcError('NO_PRIMARY_KEY', 'no key');
    expect(classifyError(e)).toBe(e);
  });
});

describe('formatError', () => {
  it('is one line with the fix unless verbose', () => {
    const e = new CdcError('TABLE_NOT_FOUND', 'table public.x not found in target', {
      hint: 'check the name',
    });
    expect(formatError(e, false)).toBe('table public.x not found in target — check the name');
    expect(formatError(e, false)).not.toContain('\n');
    expect(formatError(e, true)).toMatch(/\[TABLE_NOT_FOUND\] CdcError/);
  });
});
