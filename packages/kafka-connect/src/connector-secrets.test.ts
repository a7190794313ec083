import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isCdcError } from '@cdc/core';
import { containsConfigProviderReference, renderSecret } from './connector-secrets.js';

describe('renderSecret', () => {
  it('renders config-provider references in Kafka ConfigTransformer syntax', () => {
    expect(renderSecret({ provider: 'vault', path: 'secret/data/cdc/mssql', key: 'password' }, 'p')).toBe(
      '${vault:secret/data/cdc/mssql:password}',
    );
    expect(renderSecret({ provider: 'file', path: '/opt/secrets/pg.properties', key: 'password' }, 'p')).toBe(
      '${file:/opt/secrets/pg.properties:password}',
    );
    expect(renderSecret({ provider: 'dir', path: '/run/secrets', key: 'pg_password' }, 'p')).toBe(
      '${dir:/run/secrets:pg_password}',
    );
    expect(renderSecret({ provider: 'env', key: 'PG_PASSWORD' }, 'p')).toBe('${env:PG_PASSWORD}');
  });

  it('requires a path except for env, and no path for env', () => {
    expect(() => renderSecret({ provider: 'vault', key: 'password' }, 'database.password')).toThrow(
      /needs a path/,
    );
    expect(() => renderSecret({ provider: 'env', path: '/x', key: 'K' }, 'p')).toThrow(/only a key/);
  });

  it('keeps resolved values byte for byte, quotes, dollars, braces and backslashes included', () => {
    const nasty = `p"a'ss$w{o}r\\d\\\\ \`$(rm -rf)\` \${x} %s \n\t€`;
    expect(renderSecret(nasty, 'database.password')).toBe(nasty);
  });

  it('refuses resolved values Kafka Connect would re-interpret, without echoing them', () => {
    try {
      renderSecret('abc${env:HOME}def', 'connection.password');
      expect.unreachable();
    } catch (error) {
      expect(isCdcError(error) && error.code).toBe('CONFIG_INVALID');
      expect(String((error as Error).message)).not.toContain('HOME');
      expect(String((error as Error).message)).toContain('connection.password');
    }
  });

  test.prop([fc.string({ unit: 'binary' })])(
    'every value without a reference survives JSON unchanged',
    (value) => {
      fc.pre(!containsConfigProviderReference(value));
      const rendered = renderSecret(value, 'p');
      expect(JSON.parse(JSON.stringify({ p: rendered })).p).toBe(value);
    },
  );
});
