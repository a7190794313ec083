import * as cassandra from 'cassandra-driver';
import { CdcError } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { describeDriverError, toCdcError } from './scylla-errors.js';

describe('driver errors', () => {
  it('NoHostAvailableError becomes one line per host, without the inner stack traces', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:9042');
    refused.stack = `${refused.message}\n    at TCPConnectWrap.afterConnect (node:net:1555:16)`;
    const error = new cassandra.errors.NoHostAvailableError(
      { '127.0.0.1:9042': refused, '10.0.0.2:9042': new Error('Timeout\n    at x (y.js:1:1)') },
      undefined as unknown as string,
    );
    expect(error.message).toMatch(/\n/); // the driver's own message spans lines
    expect(describeDriverError(error)).toBe(
      'no host reachable (127.0.0.1:9042: connect ECONNREFUSED 127.0.0.1:9042; 10.0.0.2:9042: Timeout)',
    );
    const mapped = toCdcError(error, 'Connecting to 127.0.0.1');
    expect(mapped).toBeInstanceOf(CdcError);
    expect(mapped).toMatchObject({
      code: 'CONNECTION_FAILED',
      transient: true,
      message:
        'Connecting to 127.0.0.1: no host reachable (127.0.0.1:9042: connect ECONNREFUSED 127.0.0.1:9042; 10.0.0.2:9042: Timeout)',
    });
    expect(mapped.message).not.toMatch(/\n/);
  });

  it('keeps only the first line of other messages and leaves CdcErrors alone', () => {
    expect(describeDriverError(new Error('boom\n    at a (b.js:1:1)'))).toBe('boom');
    const own = new CdcError('TIMEOUT', 'slow');
    expect(toCdcError(own, 'x')).toBe(own);
    const auth = new cassandra.errors.AuthenticationError(
      'Provided username app and/or password are incorrect',
    );
    expect(toCdcError(auth, 'Connecting')).toMatchObject({ code: 'AUTH_FAILED' });
  });
});
