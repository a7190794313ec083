/** Loads the worker's configuration file: validation, `${ENV}` interpolation, secret references (env:, file:, vault:). */
import {
  CdcError,
  defaultSecretResolvers,
  describeError,
  loadConfigFile,
  resolveConfigSecrets,
  resolveSecretDetailed,
  type CdcConfig,
} from '@cdc/core';

/** The validated configuration with secrets resolved, and the resolved secret values (for log redaction). */
export async function loadWorkerConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ config: CdcConfig; secrets: string[] }> {
  const parsed = await loadConfigFile(path, { env });
  const extra = [];
  if (parsed.vault) {
    const { resolveVaultConfig, createVaultClient, vaultSecretResolver } = await import('@cdc/vault');
    const vault = await resolveVaultConfig(parsed.vault, defaultSecretResolvers(env));
    extra.push(vaultSecretResolver(createVaultClient(vault)));
  }
  const resolvers = defaultSecretResolvers(env, extra);
  const { config, secrets } = await resolveConfigSecrets(parsed, resolvers, path);
  const token = config.metrics?.token;
  if (config.metrics && token !== undefined) {
    // The console's bearer token: a secret reference like the passwords (a literal is used as written).
    let resolved: string | undefined;
    try {
      resolved = (await resolveSecretDetailed(token, resolvers))?.value;
    } catch (error) {
      throw new CdcError('CONFIG_INVALID', `${path}: metrics.token: ${describeError(error)}`, {
        hint: 'give metrics.token as env:NAME, file:/path or vault:mount/path#key that resolves',
        cause: error,
      });
    }
    if (resolved !== undefined) config.metrics.token = resolved;
    secrets.push(config.metrics.token!);
  }
  return { config, secrets: [...secrets] };
}
