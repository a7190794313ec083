import { createConnectorRegistry, type ConnectorRegistry } from '@cdc/connectors';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionUrl as parseWith, resolvePassword, type ConnectOptions } from './connect.js';
import { Redactor } from './redact.js';

let connectors: ConnectorRegistry;
beforeAll(async () => {
  connectors = await createConnectorRegistry();
});

const parseConnectionUrl = (url: string, role: string) => parseWith(connectors, url, role);

function options(partial: Partial<ConnectOptions>): Omit<ConnectOptions, 'connectors'> {
  return { role: 'source', env: {}, redactor: new Redactor(), ...partial };
}

describe('parseConnectionUrl', () => {
  it.each(['postgres', 'postgresql', 'mssql', 'sqlserver', 'scylla', 'cassandra'])(
    'accepts %s://',
    (scheme) => {
      expect(parseConnectionUrl(`${scheme}://u@h:1/db`, 'source').url.hostname).toBe('h');
    },
  );

  it('rejects an unknown scheme, listing the supported ones', () => {
    expect(() => parseConnectionUrl('oracle://u:secret@h/db', 'source')).toThrow(
      'source URL oracle://u:***@h/db: unsupported scheme "oracle:"',
    );
    try {
      parseConnectionUrl('oracle://u:secret@h/db', 'source');
    } catch (error) {
      expect((error as { hint: string }).hint).toMatch(
        /^use one of postgres:\/\/, postgresql:\/\/, mssql:\/\//,
      );
      expect((error as { hint: string }).hint).toContain('--plugin');
    }
  });

  it('rejects malformed URLs without echoing the password', () => {
    let message = '';
    try {
      parseConnectionUrl('postgres://u:secret@:bad:port/db', 'target');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^target URL .* is not a valid URL$/);
    expect(message).not.toContain('secret');
  });

  it('rejects a URL without host', () => {
    expect(() => parseConnectionUrl('postgres:///db', 'source')).toThrow(/has no host/);
  });
});

describe('resolvePassword', () => {
  let pg: ReturnType<typeof parseConnectionUrl>;
  beforeAll(() => {
    pg = parseConnectionUrl('postgres://app@h/db', 'source');
  });

  it('uses --source-password env:NAME first', async () => {
    const o = options({ password: 'env:SRC_PW', env: { SRC_PW: 'from-flag', PGPASSWORD: 'pg' } });
    expect(await resolvePassword(pg.url, pg.entry, o)).toBe('from-flag');
    expect(o.redactor.redact('x from-flag')).toBe('x ***');
  });

  it('refuses a literal password on the command line', async () => {
    await expect(resolvePassword(pg.url, pg.entry, options({ password: 'hunter2' }))).rejects.toThrow(
      /must be a reference/,
    );
  });

  it('falls back to the URL, then CDC_<ROLE>_PASSWORD, then the engine variable', async () => {
    const withPw = parseConnectionUrl('postgres://app:in%20url@h/db', 'source');
    expect(await resolvePassword(withPw.url, withPw.entry, options({ env: { PGPASSWORD: 'pg' } }))).toBe(
      'in url',
    );
    expect(
      await resolvePassword(
        pg.url,
        pg.entry,
        options({ env: { CDC_SOURCE_PASSWORD: 'role', PGPASSWORD: 'pg' } }),
      ),
    ).toBe('role');
    expect(await resolvePassword(pg.url, pg.entry, options({ env: { PGPASSWORD: 'pg' } }))).toBe('pg');
    const ms = parseConnectionUrl('mssql://sa@h/db', 'source');
    expect(await resolvePassword(ms.url, ms.entry, options({ env: { MSSQL_PASSWORD: 'ms' } }))).toBe('ms');
    expect(await resolvePassword(pg.url, pg.entry, options({}))).toBeUndefined();
  });
});
