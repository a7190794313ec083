import { describe, expect, it } from 'vitest';
import { isSecretReference, parseSecretReference } from './secret-reference.js';

describe('parseSecretReference', () => {
  it('parses vault: references for KV v2 (mount = first segment)', () => {
    expect(parseSecretReference('vault:secret/cdc/source#password')).toEqual({
      scheme: 'vault',
      mount: 'secret',
      path: 'cdc/source',
      key: 'password',
      raw: 'vault:secret/cdc/source#password',
    });
    expect(parseSecretReference('vault:kv/a/b?version=3#user')).toMatchObject({
      mount: 'kv',
      path: 'a/b',
      key: 'user',
      version: 3,
    });
  });

  it('parses env: and file: references', () => {
    expect(parseSecretReference('env:CDC_PASSWORD')).toEqual({
      scheme: 'env',
      name: 'CDC_PASSWORD',
      raw: 'env:CDC_PASSWORD',
    });
    expect(parseSecretReference('file:/run/secrets/pg')).toEqual({
      scheme: 'file',
      path: '/run/secrets/pg',
      raw: 'file:/run/secrets/pg',
    });
  });

  it.each([
    ['vault:secret/cdc/source', 'missing #<key>'],
    ['vault:secret#password', '<mount>/<path>'],
    ['vault:/secret/cdc#password', '<mount>/<path>'],
    ['vault:secret/../sys#password', '".." segments'],
    ['vault:secret/cdc#pass word', 'key after #'],
    ['vault:secret/cdc?version=0#password', '?version='],
    ['vault:secret/cdc?ver=1#password', '?version='],
    ['env:1BAD', 'not a variable name'],
    ['env:', 'not a variable name'],
    ['file:relative/path', 'absolute'],
    ['aws:thing', 'unknown scheme'],
    ['plain text', 'expected scheme:value'],
  ])('rejects %j naming the problem', (ref, problem) => {
    expect(() => parseSecretReference(ref)).toThrow(problem);
    expect(() => parseSecretReference(ref)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('tells references from URLs and plain strings', () => {
    expect(isSecretReference('vault:secret/a#b')).toBe(true);
    expect(isSecretReference('env:X')).toBe(true);
    expect(isSecretReference('postgres://u:p@h/db')).toBe(false);
    expect(isSecretReference('file://host/x')).toBe(false);
    expect(isSecretReference('hunter2')).toBe(false);
    expect(isSecretReference(42)).toBe(false);
  });
});
