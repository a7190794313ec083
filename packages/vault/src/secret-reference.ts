/**
 * Secret references as written in cdc configuration: `vault:<mount>/<path>#<key>` (KV v2, optionally
 * `?version=N` before the `#`), `env:NAME` and `file:/absolute/path`. Parsing never touches a secret.
 */
import { CdcError } from '@cdc/core';
import { validateSecretPath } from './vault-path.js';

/** A `vault:` reference to one key of a KV v2 secret. */
export interface VaultSecretReference {
  scheme: 'vault';
  /** KV v2 mount, the first path segment (`secret`). */
  mount: string;
  /** Path below the mount (`cdc/source`). */
  path: string;
  /** Key inside the secret's data (`password`). */
  key: string;
  /** A specific version; latest when absent. */
  version?: number;
  /** The reference as written. */
  raw: string;
}

/** An `env:NAME` reference. */
export interface EnvSecretReference {
  scheme: 'env';
  name: string;
  raw: string;
}

/** A `file:/path` reference (content without one trailing newline). */
export interface FileSecretReference {
  scheme: 'file';
  path: string;
  raw: string;
}

/** Any secret reference cdc understands. */
export type SecretReference = VaultSecretReference | EnvSecretReference | FileSecretReference;

/** The schemes {@link parseSecretReference} understands. */
export const SECRET_REFERENCE_SCHEMES = ['vault', 'env', 'file'] as const;

const REFERENCE = /^([a-z][a-z0-9+-]*):(?!\/\/)(.*)$/s;
const KEY = /^[A-Za-z0-9_.-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * True when `value` is written as a reference of one of `schemes` (URLs like `postgres://…` never are).
 */
export function isSecretReference(
  value: unknown,
  schemes: readonly string[] = SECRET_REFERENCE_SCHEMES,
): value is string {
  if (typeof value !== 'string') return false;
  const m = REFERENCE.exec(value);
  return m !== null && schemes.includes(m[1] ?? '');
}

/**
 * Parses a secret reference.
 *
 * @example
 * ```ts
 * parseSecretReference('vault:secret/cdc/source#password');
 * // { scheme: 'vault', mount: 'secret', path: 'cdc/source', key: 'password', raw: … }
 * ```
 * @throws CdcError `INVALID_ARGUMENT` naming the reference and the expected form
 */
export function parseSecretReference(ref: string): SecretReference {
  const m = REFERENCE.exec(ref);
  const fail = (problem: string, hint: string): never => {
    throw new CdcError('INVALID_ARGUMENT', `invalid secret reference "${shown(ref)}": ${problem}`, { hint });
  };
  if (!m) {
    return fail('expected scheme:value', 'write vault:<mount>/<path>#<key>, env:NAME or file:/path');
  }
  const scheme = m[1] ?? '';
  const body = m[2] ?? '';
  switch (scheme) {
    case 'env':
      if (!ENV_NAME.test(body))
        return fail('not a variable name', 'write env:NAME with NAME like CDC_PASSWORD');
      return { scheme, name: body, raw: ref };
    case 'file':
      if (!body.startsWith('/') || body.includes('\0')) {
        return fail('the path must be absolute', 'write file:/run/secrets/name');
      }
      return { scheme, path: body, raw: ref };
    case 'vault':
      return parseVault(ref, body, fail);
    default:
      return fail(`unknown scheme "${scheme}"`, 'use vault:, env: or file:');
  }
}

function parseVault(
  ref: string,
  body: string,
  fail: (problem: string, hint: string) => never,
): VaultSecretReference {
  const hint = 'write vault:<mount>/<path>#<key>, e.g. vault:secret/cdc/source#password';
  const hash = body.lastIndexOf('#');
  if (hash < 0) return fail('missing #<key>', hint);
  const key = body.slice(hash + 1);
  if (!KEY.test(key)) return fail('the key after # must be made of [A-Za-z0-9_.-]', hint);
  let location = body.slice(0, hash);
  let version: number | undefined;
  const q = location.indexOf('?');
  if (q >= 0) {
    const query = location.slice(q + 1);
    location = location.slice(0, q);
    const vm = /^version=([1-9][0-9]{0,9})$/.exec(query);
    if (!vm) return fail('the only query allowed is ?version=<positive integer>', hint);
    version = Number(vm[1]);
  }
  const slash = location.indexOf('/');
  if (slash <= 0) return fail('expected <mount>/<path>', hint);
  const mount = validateSecretPath(location.slice(0, slash), 'mount');
  const path = validateSecretPath(location.slice(slash + 1), 'secret path');
  return version === undefined
    ? { scheme: 'vault', mount, path, key, raw: ref }
    : { scheme: 'vault', mount, path, key, version, raw: ref };
}

function shown(ref: string): string {
  return String(ref)
    .replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?')
    .slice(0, 200);
}
