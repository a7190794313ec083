/**
 * Secret references in configuration values: `env:NAME`, `file:/path` and any scheme a resolver is
 * registered for (`vault:mount/path#key` via @cdc/vault). Resolved values are never logged; callers
 * get them back in a list so they can be redacted from every message.
 */
import { readFile } from 'node:fs/promises';
import { CdcError } from '../errors.js';

/** Resolves references of one scheme (`reference` is the text after `scheme:`). */
export interface SecretResolver {
  /** Scheme without the colon, e.g. `vault`. */
  readonly scheme: string;
  /** Returns the secret value or throws a `CdcError` (`SECRET_UNRESOLVED`) saying how to fix it. */
  resolve(reference: string): Promise<string>;
}

const referencePattern = /^([a-z][a-z0-9+-]*):(?!\/\/)(.+)$/s;

/**
 * Splits `scheme:rest` when `value` looks like a secret reference of one of `schemes`
 * (URLs such as `postgres://…` are never references).
 */
export function parseSecretReference(
  value: string,
  schemes: Iterable<string>,
): { scheme: string; reference: string } | undefined {
  const match = referencePattern.exec(value);
  if (!match) return undefined;
  const scheme = match[1]!;
  if (![...schemes].includes(scheme)) return undefined;
  return { scheme, reference: match[2]! };
}

/** `env:NAME`: the environment variable `NAME` (must be set and non-empty). */
export function envSecretResolver(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SecretResolver {
  return {
    scheme: 'env',
    async resolve(name) {
      const value = env[name];
      if (value === undefined || value === '') {
        throw new CdcError(
          'SECRET_UNRESOLVED',
          `secret reference env:${name}: the environment variable ${name} is not set`,
          {
            hint: `export ${name}=… before running cdc`,
          },
        );
      }
      return value;
    },
  };
}

/** `file:/path`: the file's content without one trailing newline (Docker/Kubernetes secret files). */
export function fileSecretResolver(): SecretResolver {
  return {
    scheme: 'file',
    async resolve(path) {
      try {
        return (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new CdcError(
          'SECRET_UNRESOLVED',
          `secret reference file:${path}: cannot read the file (${code})`,
          {
            hint: 'check the path and that cdc may read it',
            cause: error,
          },
        );
      }
    },
  };
}

/** The always-available resolvers (`env:` and `file:`), plus `extra` ones (which win on conflicts). */
export function defaultSecretResolvers(
  env: Readonly<Record<string, string | undefined>> = process.env,
  extra: readonly SecretResolver[] = [],
): SecretResolver[] {
  const byScheme = new Map<string, SecretResolver>();
  for (const r of [envSecretResolver(env), fileSecretResolver(), ...extra]) byScheme.set(r.scheme, r);
  return [...byScheme.values()];
}

/**
 * Resolves `value` if it is a reference of a known scheme; returns it unchanged otherwise. A
 * `vault:` reference without a vault resolver fails with a hint instead of being used literally.
 */
export async function resolveSecret(value: string, resolvers: readonly SecretResolver[]): Promise<string> {
  const schemes = new Set(resolvers.map((r) => r.scheme));
  const parsed = parseSecretReference(value, [...schemes, 'vault']);
  if (!parsed) return value;
  const resolver = resolvers.find((r) => r.scheme === parsed.scheme);
  if (!resolver) {
    throw new CdcError(
      'SECRET_UNRESOLVED',
      `secret reference ${parsed.scheme}:…: no ${parsed.scheme} resolver is configured`,
      {
        hint: 'add a vault: block (address, auth) to the configuration so cdc can read Vault secrets',
      },
    );
  }
  return resolver.resolve(parsed.reference);
}
