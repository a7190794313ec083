/**
 * Validation of Vault mounts and secret paths before they are put into a request URL: a path that
 * could climb out of its mount, point elsewhere, or smuggle query syntax is rejected up front.
 */
import { CdcError } from '@cdc/core';

const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const MAX_PATH_LENGTH = 512;

/**
 * Checks a Vault mount or secret path and returns it unchanged. Rules: not empty, relative (no leading
 * `/`), not a URL, no empty, `.` or `..` segments, and every segment made of `[A-Za-z0-9_.-]` only.
 *
 * @param path - e.g. `cdc/source`
 * @param what - how the error names the value, e.g. `secret path` or `mount`
 * @throws CdcError `INVALID_ARGUMENT` saying what is wrong and how to write it instead
 */
export function validateSecretPath(path: string, what = 'secret path'): string {
  const fail = (problem: string): never => {
    throw new CdcError('INVALID_ARGUMENT', `invalid Vault ${what} "${printable(path)}": ${problem}`, {
      hint: 'write it relative to the mount, like cdc/source, using only letters, digits, _ . - and /',
    });
  };
  if (typeof path !== 'string' || path.length === 0) return fail('it is empty');
  if (path.length > MAX_PATH_LENGTH) return fail(`it is longer than ${MAX_PATH_LENGTH} characters`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path) || path.startsWith('//')) return fail('it must not be a URL');
  if (path.startsWith('/')) return fail('it must be relative (no leading /)');
  for (const segment of path.split('/')) {
    if (segment === '') return fail('it has an empty segment (// or a trailing /)');
    if (segment === '.' || segment === '..') return fail('"." and ".." segments are not allowed');
    if (!SEGMENT.test(segment))
      return fail(`segment "${printable(segment)}" has characters outside [A-Za-z0-9_.-]`);
  }
  return path;
}

/** Checks a Vault namespace (`team-a` or `team-a/sub`): the same rules as paths. */
export function validateNamespace(namespace: string): string {
  return validateSecretPath(namespace.replace(/\/+$/, ''), 'namespace');
}

// Control characters would garble terminals and logs; the path itself is not secret.
function printable(text: string): string {
  return String(text)
    .replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?')
    .slice(0, 120);
}
