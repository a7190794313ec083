/**
 * The `vault:` block of the cdc configuration (zod schema) and how it becomes a {@link VaultClient}.
 * The block's own values may be `env:`/`file:` references; `vault:` references inside it are refused
 * because Vault cannot provide the credentials needed to log in to itself.
 */
import { z } from 'zod';
import { CdcError, envSecretResolver, fileSecretResolver, type SecretResolver } from '@cdc/core';
import { resolveSecretReferences, type ResolveSecretReferencesOptions } from './secret-resolver.js';
import { VaultClient, type VaultClientOptions } from './vault-client.js';

const nonEmpty = z.string().min(1);
const mount = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'a mount path like approle or auth/team/approle');

/** The `vault` configuration block. */
export const vaultConfigSchema = z
  .object({
    address: z
      .string()
      .regex(
        /^https?:\/\/[^\s/@]+(\/[^\s]*)?$/,
        'an http(s) URL without credentials, like https://vault:8200',
      )
      .meta({ description: 'Vault base URL.', examples: ['https://vault.internal:8200'] }),
    namespace: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/?$/)
      .optional()
      .meta({ description: 'Vault Enterprise namespace (X-Vault-Namespace).' }),
    auth: z.discriminatedUnion('method', [
      z.strictObject({
        method: z.literal('token'),
        token: nonEmpty.meta({ description: 'Vault token; use env:VAULT_TOKEN or file:/path.' }),
      }),
      z.strictObject({
        method: z.literal('approle'),
        roleId: nonEmpty,
        secretId: nonEmpty.meta({ description: 'AppRole secret id; use env: or file:.' }),
        mount: mount.default('approle'),
      }),
      z.strictObject({
        method: z.literal('kubernetes'),
        role: nonEmpty,
        jwt: nonEmpty.optional(),
        jwtFile: nonEmpty.default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
        mount: mount.default('kubernetes'),
      }),
    ]),
    tls: z
      .strictObject({
        caFile: nonEmpty.optional(),
        skipVerify: z
          .boolean()
          .default(false)
          .meta({ description: 'Dangerous; warns loudly. Prefer caFile.' }),
      })
      .optional(),
    timeoutMs: z.number().int().positive().max(120_000).default(5000),
    retries: z.number().int().min(0).max(10).default(3),
    cacheTtlSeconds: z.number().int().min(0).default(300),
  })
  .strict();

/** A validated `vault` block (defaults applied, references resolved). */
export type VaultConfig = z.infer<typeof vaultConfigSchema>;
/** The `vault` block as written. */
export type VaultConfigInput = z.input<typeof vaultConfigSchema>;

/**
 * Resolves the `env:`/`file:` references of a raw `vault` block and validates it.
 *
 * @param raw - the block as parsed from YAML
 * @param resolvers - default `env:` and `file:`
 * @param options - `onSecret`, and `onResolved`/`onFailed` to report each reference (paths start with `vault.`)
 * @throws CdcError `CONFIG_INVALID` (bad shape, or a `vault:` reference inside the block), or
 *   `SECRET_UNRESOLVED` (a reference that cannot be resolved; named, never its value)
 */
export async function resolveVaultConfig(
  raw: unknown,
  resolvers: readonly SecretResolver[] = [envSecretResolver(), fileSecretResolver()],
  options: Pick<ResolveSecretReferencesOptions, 'onSecret' | 'onResolved' | 'onFailed'> = {},
): Promise<VaultConfig> {
  const nested = findVaultReferences(raw, 'vault');
  if (nested.length > 0) {
    throw new CdcError(
      'CONFIG_INVALID',
      `vault: references cannot be used inside the vault block (${nested.join(', ')})`,
      {
        hint: 'Vault cannot supply its own login credentials: use env:NAME or file:/path there',
      },
    );
  }
  const usable = resolvers.filter((r) => r.scheme !== 'vault');
  const resolved = await resolveSecretReferences(raw, usable, {
    ...options,
    basePath: 'vault',
    knownSchemes: ['env', 'file', 'vault'],
  });
  const parsed = vaultConfigSchema.safeParse(resolved);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `vault.${i.path.map(String).join('.')}: ${i.message}`);
    throw new CdcError('CONFIG_INVALID', `invalid vault block:\n  - ${issues.join('\n  - ')}`, {
      hint: 'see docs/secrets.md for the vault block',
    });
  }
  return parsed.data;
}

/** Builds a client from a validated block; `overrides` (clock, warn, breaker…) are for callers and tests. */
export function createVaultClient(
  config: VaultConfig,
  overrides: Partial<VaultClientOptions> = {},
): VaultClient {
  return new VaultClient({
    address: config.address,
    ...(config.namespace ? { namespace: config.namespace } : {}),
    auth: config.auth,
    ...(config.tls ? { tls: config.tls } : {}),
    timeoutMs: config.timeoutMs,
    retry: { maxAttempts: config.retries },
    cacheTtlMs: config.cacheTtlSeconds * 1000,
    ...overrides,
  });
}

function findVaultReferences(node: unknown, path: string): string[] {
  if (typeof node === 'string') return /(^|\|\|\s*)vault:(?!\/\/)/.test(node) ? [path] : [];
  if (Array.isArray(node)) return node.flatMap((v, i) => findVaultReferences(v, `${path}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => findVaultReferences(v, `${path}.${k}`));
  }
  return [];
}
