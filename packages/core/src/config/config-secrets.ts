/**
 * Secret references in configuration values: `env:NAME`, `file:/path` and any scheme a resolver is
 * registered for (`vault:mount/path#key` via @cdc/vault). Resolved values are never logged; callers
 * get them back in a list so they can be redacted from every message.
 */
import { readFile } from 'node:fs/promises';
import { CdcError, isCdcError } from '../errors.js';

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

/** Separator of an explicit fallback chain: `vault:secret/cdc/db#password || env:DB_PASSWORD`. */
const chainSeparator = /\s+\|\|\s+/;

/** How a configuration value that is a secret reference was resolved (see {@link resolveSecretDetailed}). */
export interface SecretResolution {
  /** The secret value. Never log it. */
  value: string;
  /** The alternative that produced it: the reference itself, or one alternative of an `a || b` chain. */
  resolvedBy: string;
}

/**
 * Resolves `value` when it is a secret reference of a known scheme (or an explicit fallback chain
 * `a || b`, tried left to right, every alternative itself a reference); returns `undefined` when it
 * is not a reference (literals and URLs). A `vault:` reference without a vault resolver fails with a
 * hint instead of being used literally.
 *
 * @throws CdcError `SECRET_UNRESOLVED` naming the reference(s) and why, never a value. A single
 *   reference rethrows its resolver's error as is; a chain lists every alternative's failure.
 */
export async function resolveSecretDetailed(
  value: string,
  resolvers: readonly SecretResolver[],
): Promise<SecretResolution | undefined> {
  const schemes = [...new Set([...resolvers.map((r) => r.scheme), 'vault'])];
  const alternatives = value.split(chainSeparator);
  if (!parseSecretReference(alternatives[0]!, schemes)) return undefined;
  if (alternatives.length === 1) {
    return { value: await resolveOne(value, resolvers, schemes), resolvedBy: value };
  }
  const failed: string[] = [];
  for (const alternative of alternatives) {
    if (!parseSecretReference(alternative, schemes)) {
      failed.push(
        `${describeAlternative(alternative)} (not a secret reference; literal fallbacks are not allowed)`,
      );
      continue;
    }
    try {
      return { value: await resolveOne(alternative, resolvers, schemes), resolvedBy: alternative };
    } catch (error) {
      failed.push(`${alternative} (${reasonOf(error)})`);
    }
  }
  throw new CdcError(
    'SECRET_UNRESOLVED',
    `secret reference chain: every alternative failed: ${failed.join(', then ')}`,
    { hint: 'fix one of the alternatives; values are never shown' },
  );
}

/**
 * Resolves `value` if it is a reference of a known scheme (or an `a || b` chain of them); returns it
 * unchanged otherwise. See {@link resolveSecretDetailed}.
 */
export async function resolveSecret(value: string, resolvers: readonly SecretResolver[]): Promise<string> {
  return (await resolveSecretDetailed(value, resolvers))?.value ?? value;
}

async function resolveOne(
  value: string,
  resolvers: readonly SecretResolver[],
  schemes: readonly string[],
): Promise<string> {
  const parsed = parseSecretReference(value, schemes)!;
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

/** A literal alternative of a chain may be a password typed in by mistake: never echo it. */
function describeAlternative(alternative: string): string {
  return /^[a-z][a-z0-9+-]*:/.test(alternative) ? `${alternative.split(':')[0]}:…` : 'a literal value';
}

function reasonOf(error: unknown): string {
  if (isCdcError(error)) return error.hint ? `${error.message}; ${error.hint}` : error.message;
  return error instanceof Error ? error.message : String(error);
}
