/**
 * Resolving secret references in configuration objects: one small {@link SecretResolver} per scheme
 * (`vault:`, `env:`, `file:`) and {@link resolveSecretReferences}, which walks a config and replaces
 * every reference string. Nothing falls back silently: an explicit `a || b` chain is the only fallback.
 */
import { CdcError, envSecretResolver, fileSecretResolver, isCdcError, type SecretResolver } from '@cdc/core';
import { parseSecretReference } from './secret-reference.js';
import type { VaultClient } from './vault-client.js';

export type { SecretResolver };
export { envSecretResolver, fileSecretResolver };

/**
 * The `vault:` resolver: reads `vault:<mount>/<path>[?version=N]#<key>` from KV v2 through `client`.
 * `resolve` accepts the reference with or without its `vault:` prefix (the core config loader passes
 * the text after the scheme).
 */
export function vaultSecretResolver(client: Pick<VaultClient, 'readKvField'>): SecretResolver {
  return {
    scheme: 'vault',
    async resolve(reference: string): Promise<string> {
      const ref = parseSecretReference(reference.startsWith('vault:') ? reference : `vault:${reference}`);
      if (ref.scheme !== 'vault') throw new CdcError('INTERNAL', 'vault resolver got a non-vault reference');
      return client.readKvField(
        ref.mount,
        ref.path,
        ref.key,
        ref.version === undefined ? {} : { version: ref.version },
      );
    },
  };
}

/** One resolved reference, as reported to {@link ResolveSecretReferencesOptions.onResolved}. */
export interface ResolvedSecretReference {
  /** Where in the config, e.g. `connections.source.password`. */
  path: string;
  /** The reference as written (for a chain: the whole chain). */
  reference: string;
  /** The alternative that produced the value. */
  resolvedBy: string;
  /** Alternatives of an explicit `a || b` chain that failed before, with the reason (never a value). */
  failed: { reference: string; reason: string }[];
}

/** One reference that could not be resolved, as reported to {@link ResolveSecretReferencesOptions.onFailed}. */
export interface FailedSecretReference {
  /** Where in the config, e.g. `vault.auth.token`. */
  path: string;
  /** The reference as written (for a chain: the whole chain). */
  reference: string;
  /** Every alternative tried and why it failed (never a value). */
  failed: { reference: string; reason: string }[];
  /** The `CdcError` code of the last failure (`SECRET_UNRESOLVED` when not a `CdcError`). */
  code: string;
}

/** Options of {@link resolveSecretReferences}. */
export interface ResolveSecretReferencesOptions {
  /** Called once per resolved string (e.g. for `cdc check`'s "which references resolved"). */
  onResolved?: (entry: ResolvedSecretReference) => void;
  /**
   * Called once per string that could not be resolved, before the combined error is thrown (so a
   * caller such as `cdc check` can report each failure by reference).
   */
  onFailed?: (entry: FailedSecretReference) => void;
  /** Prefix of the reported paths, e.g. `vault` when resolving the `vault` block alone. Default none. */
  basePath?: string;
  /** Called with each resolved secret VALUE so the caller can redact it from logs. Never log it. */
  onSecret?: (value: string) => void;
  /**
   * Schemes that are references even without a resolver, so they fail loudly instead of being used
   * literally. Default `['vault', 'env', 'file']`.
   */
  knownSchemes?: readonly string[];
}

const CHAIN_SEPARATOR = /\s+\|\|\s+/;
const SCHEME = /^([a-z][a-z0-9+-]*):(?!\/\/)/;

/**
 * Returns a copy of `value` where every string written as a secret reference of a known scheme is
 * replaced by its resolved value. Arrays and plain objects are walked; other values are kept.
 *
 * A value may name an explicit fallback chain, tried left to right: `vault:secret/cdc/db#password || env:DB_PASSWORD`.
 * Without `||`, a reference that cannot be resolved is an error. All failures are collected into one
 * `CdcError` (`SECRET_UNRESOLVED`) that names each config path and reference, never a secret value.
 *
 * @example
 * ```ts
 * const vault = new VaultClient(vaultOptions);
 * const config = await resolveSecretReferences(rawConfig, [
 *   envSecretResolver(), fileSecretResolver(), vaultSecretResolver(vault),
 * ]);
 * ```
 */
export async function resolveSecretReferences<T>(
  value: T,
  resolvers: readonly SecretResolver[],
  options: ResolveSecretReferencesOptions = {},
): Promise<T> {
  const byScheme = new Map(resolvers.map((r) => [r.scheme, r]));
  const known = new Set([...(options.knownSchemes ?? ['vault', 'env', 'file']), ...byScheme.keys()]);
  const memo = new Map<string, Promise<string>>();
  const failures: string[] = [];

  const resolveOne = (reference: string): Promise<string> => {
    let pending = memo.get(reference);
    if (!pending) {
      pending = (async () => {
        const scheme = SCHEME.exec(reference)?.[1] ?? '';
        const resolver = byScheme.get(scheme);
        if (!resolver) {
          throw new CdcError('SECRET_UNRESOLVED', `no resolver for ${scheme}: references is configured`, {
            hint: scheme === 'vault' ? 'add a vault block (address, auth) to the configuration' : undefined,
          });
        }
        // Validate the syntax of the schemes we know before any lookup.
        if (scheme === 'vault' || scheme === 'env' || scheme === 'file') parseSecretReference(reference);
        return resolver.resolve(reference.slice(scheme.length + 1));
      })();
      memo.set(reference, pending);
    }
    return pending;
  };

  const isReference = (text: string): boolean => known.has(SCHEME.exec(text)?.[1] ?? '');

  const resolveString = async (text: string, path: string): Promise<string> => {
    const alternatives = text.split(CHAIN_SEPARATOR);
    if (!isReference(alternatives[0] ?? '')) return text;
    const failed: { reference: string; reason: string }[] = [];
    let code = 'SECRET_UNRESOLVED';
    for (const alternative of alternatives) {
      if (!isReference(alternative)) {
        failed.push({
          reference: alternative,
          reason: 'not a secret reference (literal fallbacks are not allowed)',
        });
        continue;
      }
      try {
        const secret = await resolveOne(alternative);
        options.onSecret?.(secret);
        options.onResolved?.({ path, reference: text, resolvedBy: alternative, failed });
        return secret;
      } catch (error) {
        failed.push({ reference: alternative, reason: reasonOf(error) });
        code = isCdcError(error) ? error.code : 'SECRET_UNRESOLVED';
      }
    }
    options.onFailed?.({ path, reference: text, failed, code });
    failures.push(
      `${path || '(root)'}: ` +
        failed.map((f) => `${f.reference} (${f.reason})`).join(alternatives.length > 1 ? ', then ' : ''),
    );
    return text;
  };

  const walk = async (node: unknown, path: string): Promise<unknown> => {
    if (typeof node === 'string') return resolveString(node, path);
    if (Array.isArray(node)) return Promise.all(node.map((item, i) => walk(item, `${path}[${i}]`)));
    if (isPlainObject(node)) {
      const entries = await Promise.all(
        Object.entries(node).map(async ([k, v]) => [k, await walk(v, path ? `${path}.${k}` : k)] as const),
      );
      return Object.fromEntries(entries);
    }
    return node;
  };

  const out = (await walk(value, options.basePath ?? '')) as T;
  if (failures.length > 0) {
    throw new CdcError(
      'SECRET_UNRESOLVED',
      `${failures.length} secret reference${failures.length === 1 ? '' : 's'} could not be resolved:\n  - ${failures.join('\n  - ')}`,
      {
        hint: 'fix the references (or add an explicit fallback like "vault:… || env:NAME"); values are never shown',
      },
    );
  }
  return out;
}

/** A reference found in a config by {@link collectSecretReferences}. */
export interface SecretReferenceLocation {
  /** Where in the config, e.g. `connections.source.password`. */
  path: string;
  /** The value as written (a reference or an `a || b` chain). */
  reference: string;
  /** Schemes used, in order (`['vault', 'env']` for `vault:… || env:…`). */
  schemes: string[];
}

/**
 * Lists the secret references of a config without resolving anything (for `cdc config validate` and
 * `cdc check`, and to know whether a Vault client is needed at all).
 */
export function collectSecretReferences(
  value: unknown,
  knownSchemes: readonly string[] = ['vault', 'env', 'file'],
): SecretReferenceLocation[] {
  const found: SecretReferenceLocation[] = [];
  const visit = (node: unknown, path: string): void => {
    if (typeof node === 'string') {
      const schemes = node.split(CHAIN_SEPARATOR).map((part) => SCHEME.exec(part)?.[1] ?? '');
      if (knownSchemes.includes(schemes[0] ?? '')) found.push({ path, reference: node, schemes });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (isPlainObject(node)) {
      for (const [k, v] of Object.entries(node)) visit(v, path ? `${path}.${k}` : k);
    }
  };
  visit(value, '');
  return found;
}

function reasonOf(error: unknown): string {
  if (isCdcError(error)) return error.hint ? `${error.message}; ${error.hint}` : error.message;
  return error instanceof Error ? error.message : String(error);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
