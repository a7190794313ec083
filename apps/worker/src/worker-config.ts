/** Loads the worker's configuration file: validation, `${ENV}` interpolation, secret references (env:, file:, vault:). */
import { defaultSecretResolvers, loadConfigFile, resolveConfigSecrets, type CdcConfig } from '@cdc/core';

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
  const { config, secrets } = await resolveConfigSecrets(parsed, defaultSecretResolvers(env, extra), path);
  return { config, secrets: [...secrets] };
}
