import { describe, expect, it } from 'vitest';
import { CdcError } from '@cdc/core';
import { classifySqlServerErrorNumber, toSqlServerError } from './sqlserver-errors.js';

/** Same shape as tedious' RequestError: message, number, state, class. */
function requestError(number: number, message: string) {
  return Object.assign(new Error(message), {
    name: 'RequestError',
    code: 'EREQUEST',
    number,
    state: 1,
    class: 16,
  });
}

describe('classifySqlServerErrorNumber', () => {
  it.each([
    [1205, 'UPSTREAM_ERROR', true],
    [40613, 'CONNECTION_FAILED', true],
    [40501, 'CONNECTION_FAILED', true],
    [40197, 'CONNECTION_FAILED', true],
    [3960, 'UPSTREAM_ERROR', true],
    [18456, 'AUTH_FAILED', false],
    [229, 'PERMISSION_DENIED', false],
    [300, 'PERMISSION_DENIED', false],
    [313, 'RETENTION_GAP', false],
    [208, 'TABLE_NOT_FOUND', false],
    [22902, 'CDC_NOT_ENABLED', false],
    [3952, 'CONFIG_INVALID', false],
    [8152, 'UPSTREAM_ERROR', false],
  ] as const)('error %i → %s (transient %s)', (number, code, transient) => {
    const c = classifySqlServerErrorNumber(number);
    expect(c.code).toBe(code);
    expect(c.transient).toBe(transient);
  });
});

describe('toSqlServerError', () => {
  it('keeps the number, the context and a hint', () => {
    const e = toSqlServerError(requestError(18456, "Login failed for user 'app'."), 'connecting to db1');
    expect(e).toBeInstanceOf(CdcError);
    expect(e.code).toBe('AUTH_FAILED');
    expect(e.message).toBe(
      "SQL Server: connecting to db1 failed (SQL Server error 18456): Login failed for user 'app'.",
    );
    expect(e.hint).toMatch(/user name and password/);
    expect(e.transient).toBe(false);
  });
  it('marks deadlocks transient', () => {
    const e = toSqlServerError(requestError(1205, 'Transaction was deadlocked'), 'scanning dbo.t');
    expect(e.transient).toBe(true);
  });
  it('recognizes TLS failures by message and suggests trustServerCertificate', () => {
    const socket = Object.assign(new Error('Failed to connect to h:1433 - self-signed certificate'), {
      code: 'ESOCKET',
    });
    const e = toSqlServerError(socket, 'connecting');
    expect(e.code).toBe('CONNECTION_FAILED');
    expect(e.transient).toBe(false);
    expect(e.hint).toMatch(/trustServerCertificate=true/);
  });
  it('treats socket and timeout errors as transient', () => {
    expect(
      toSqlServerError(Object.assign(new Error('ECONNREFUSED'), { code: 'ESOCKET' }), 'x').transient,
    ).toBe(true);
    expect(toSqlServerError(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' }), 'x').code).toBe(
      'TIMEOUT',
    );
  });
  it('unwraps AggregateError from tedious connection retries', () => {
    const agg = Object.assign(new Error('Multiple errors'), {
      errors: [requestError(40613, 'Database unavailable')],
    });
    const e = toSqlServerError(agg, 'connecting');
    expect(e.transient).toBe(true);
    expect(e.message).toMatch(/40613/);
  });
  it('passes CdcErrors through and wraps unknown values', () => {
    const original = new CdcError('FENCED', 'x');
    expect(toSqlServerError(original, 'y')).toBe(original);
    expect(toSqlServerError('boom', 'reading').code).toBe('UPSTREAM_ERROR');
  });
});
