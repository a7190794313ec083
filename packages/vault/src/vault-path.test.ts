import { describe, expect, it } from 'vitest';
import { validateNamespace, validateSecretPath } from './vault-path.js';

describe('validateSecretPath', () => {
  it.each(['cdc/source', 'a', 'team-a/db_1/v2.0', 'A/B/c.d-e_f'])('accepts %s', (path) => {
    expect(validateSecretPath(path)).toBe(path);
  });

  it.each([
    ['', 'empty'],
    ['../sys/seal', '".." segments'],
    ['cdc/../../sys', '".." segments'],
    ['./cdc', '"." and'],
    ['/cdc/source', 'relative'],
    ['cdc//source', 'empty segment'],
    ['cdc/source/', 'empty segment'],
    ['https://evil.example/v1/secret', 'URL'],
    ['//evil.example/x', 'URL'],
    ['cdc/source?version=2', 'characters outside'],
    ['cdc/source#key', 'characters outside'],
    ['cdc/%2e%2e/sys', 'characters outside'],
    ['cdc\\source', 'characters outside'],
    ['cdc/sour ce', 'characters outside'],
    ['cdc/\u0000', 'characters outside'],
    ['x'.repeat(513), 'longer than'],
  ])('rejects %j (%s) with INVALID_ARGUMENT', (path, problem) => {
    expect(() => validateSecretPath(path)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => validateSecretPath(path)).toThrow(problem);
  });

  it('validates namespaces with the same rules, allowing a trailing slash', () => {
    expect(validateNamespace('team-a/sub/')).toBe('team-a/sub');
    expect(() => validateNamespace('../root')).toThrow('namespace');
  });
});
