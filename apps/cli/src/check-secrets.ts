/**
 * The secrets half of `cdc check --config`: loads the configuration like every command does, but
 * instead of stopping at the first unresolvable secret reference it records every reference's outcome,
 * and it asks Vault for its health (`sys/health`) when the configuration has a `vault` block. Secret
 * values are registered with the redactor and never returned or printed.
 */
import {
  CdcError,
  defaultSecretResolvers,
  formatConfigPath,
  loadConfigFile,
  redactUrl,
  resolveConfigSecrets,
  type CdcConfig,
  type SecretReferenceResult,
  type SecretResolver,
} from '@cdc/core';
import type { VaultHealth } from '@cdc/vault';
import { classifyError } from './cli-error.js';
import { loadConfigPlugins, type CommandContext } from './context.js';

/** What `cdc check` found out about Vault. */
export interface VaultCheck {
  /** `vault.address` (never holds credentials), or `(unresolved)` when it could not be read. */
  address: string;
  /** `sys/health` status, or `invalid` when the `vault` block itself could not be resolved/validated. */
  status: VaultHealth['status'] | 'invalid';
  version?: string;
  latencyMs?: number;
  /** Why it is not `ok` (never a secret). */
  error?: string;
  /** Whether cdc can read secrets from it (active or standby; see `isVaultUsable`). */
  usable: boolean;
}

/** The configuration with every secret reference it could resolve, and what happened to each. */
export interface ConfigSecretsCheck {
  /** Resolved configuration; references that failed are kept as written. */
  config: CdcConfig;
  /** Vault, when the configuration has a `vault` block. */
  vault: VaultCheck | undefined;
  /** Every reference (the `vault` block's own first), in configuration order. */
  references: SecretReferenceResult[];
  /** Closes the Vault client, if one was created. */
  close(): Promise<void>;
}

/**
 * Loads `path` and resolves its secret references, collecting every failure instead of throwing.
 * Errors in the file itself (syntax, schema) still throw, as for every command.
 */
export async function checkConfigSecrets(ctx: CommandContext, path: string): Promise<ConfigSecretsCheck> {
  const parsed = await loadConfigFile(path, { env: ctx.env });
  await loadConfigPlugins(await ctx.connectors(), parsed, path);
  const references: SecretReferenceResult[] = [];
  let vault: VaultCheck | undefined;
  let close = async (): Promise<void> => {};
  let extra: SecretResolver[] = [];
  if (parsed.vault !== undefined) {
    const { resolveVaultConfig, createVaultClient, vaultSecretResolver, isVaultUsable } =
      await import('@cdc/vault');
    let client: ReturnType<typeof createVaultClient> | undefined;
    try {
      const block = await resolveVaultConfig(parsed.vault, defaultSecretResolvers(ctx.env), {
        onSecret: (value) => ctx.redactor.add(value),
        onResolved: (e) =>
          references.push({
            path: e.path,
            reference: e.reference,
            status: 'resolved',
            resolvedBy: e.resolvedBy,
          }),
        onFailed: (e) =>
          references.push({
            path: e.path,
            reference: e.reference,
            status: 'failed',
            error:
              e.failed.length === 1
                ? e.failed[0]!.reason
                : e.failed.map((f) => `${f.reference} (${f.reason})`).join(', then '),
            code: e.code,
          }),
      });
      client = createVaultClient(block, { warn: (message) => ctx.out.warn(message) });
    } catch (error) {
      // Failed references of the block are reported one by one: summarize them; else say what is wrong.
      const failedPaths = references.filter((r) => r.status === 'failed').map((r) => r.path);
      const message =
        failedPaths.length > 0
          ? `its own secret reference${failedPaths.length === 1 ? '' : 's'} ${failedPaths.join(', ')} did not resolve`
          : classifyError(error).message.replace(/:?\n\s*-?\s*/g, '; ');
      vault = { address: rawAddress(parsed.vault), status: 'invalid', error: message, usable: false };
      extra = [unusableVault(`the vault block is invalid: ${message}`)];
    }
    if (client) {
      const vaultClient = client;
      close = () => vaultClient.close();
      const health = await client.health();
      vault = {
        address: client.address,
        status: health.status,
        ...(health.version ? { version: health.version } : {}),
        latencyMs: health.latencyMs,
        ...(health.error ? { error: health.error } : {}),
        usable: isVaultUsable(health),
      };
      // An unusable Vault fails its references at once, with the reason, instead of retrying each.
      // Say why unless the error only repeats the status ("Vault is sealed").
      const why =
        health.error && !health.error.toLowerCase().includes(health.status) ? ` (${health.error})` : '';
      extra = [
        vault.usable
          ? vaultSecretResolver(client)
          : unusableVault(`Vault at ${vault.address} is ${health.status}${why}`),
      ];
    }
  } else if (ctx.deps.secretResolvers) {
    extra = await ctx.deps.secretResolvers(parsed, ctx.env);
  }
  const resolved = await resolveConfigSecrets(parsed, defaultSecretResolvers(ctx.env, extra), path, {
    collectFailures: true,
  });
  for (const secret of resolved.secrets) ctx.redactor.add(secret);
  references.push(...resolved.references);
  // `cdc check` prints these as results (verbatim): mask what resolvers and Vault said, now that every
  // resolved value is registered.
  const masked = <T extends { error?: string; hint?: string }>(entry: T): T => ({
    ...entry,
    ...(entry.error === undefined ? {} : { error: ctx.redactor.redact(entry.error) }),
    ...(entry.hint === undefined ? {} : { hint: ctx.redactor.redact(entry.hint) }),
  });
  return {
    config: resolved.config,
    vault: vault ? masked(vault) : undefined,
    references: references.map(masked),
    close,
  };
}

/** Connections with a `url` or `password` reference that failed (they cannot be checked). */
export function connectionsWithFailedReferences(
  config: CdcConfig,
  references: readonly SecretReferenceResult[],
): Map<string, SecretReferenceResult> {
  const failed = new Map(references.filter((r) => r.status === 'failed').map((r) => [r.path, r]));
  const out = new Map<string, SecretReferenceResult>();
  for (const name of Object.keys(config.connections)) {
    for (const field of ['url', 'password']) {
      const ref = failed.get(formatConfigPath(['connections', name, field]));
      if (ref && !out.has(name)) out.set(name, ref);
    }
  }
  return out;
}

/** A `vault:` resolver that refuses every reference with `reason` (Vault not usable). */
function unusableVault(reason: string): SecretResolver {
  return {
    scheme: 'vault',
    resolve(reference) {
      return Promise.reject(
        new CdcError('SECRET_UNRESOLVED', `secret reference vault:${reference}: ${reason}`, {
          hint: 'fix Vault (see the vault line above) and check again',
        }),
      );
    },
  };
}

/** `vault.address` as written (not validated yet: a password in it is masked). */
function rawAddress(block: unknown): string {
  const address = (block as { address?: unknown } | null)?.address;
  if (typeof address !== 'string' || !/^https?:\/\//.test(address)) return '(unresolved)';
  return /\/\/[^/@]*:[^/@]*@/.test(address) ? redactUrl(address) : address;
}
