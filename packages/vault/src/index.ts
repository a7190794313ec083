/**
 * @cdc/vault — HashiCorp Vault for cdc: a typed client over Vault's HTTP API (KV v2; token, AppRole and
 * Kubernetes auth; token renewal; structured health), secret-path validation, and secret references
 * (`vault:<mount>/<path>#<key>`, `env:NAME`, `file:/path`) resolved when the configuration loads.
 * Secrets never appear in errors or logs. See `docs/secrets.md`.
 * @packageDocumentation
 */
export type {
  VaultAuth,
  VaultTlsOptions,
  VaultClientOptions,
  KvSecret,
  VaultTokenInfo,
  VaultHealth,
} from './vault-client.js';
export { VaultClient } from './vault-client.js';
export { validateSecretPath, validateNamespace } from './vault-path.js';
export type {
  SecretReference,
  VaultSecretReference,
  EnvSecretReference,
  FileSecretReference,
} from './secret-reference.js';
export { parseSecretReference, isSecretReference, SECRET_REFERENCE_SCHEMES } from './secret-reference.js';
export type {
  SecretResolver,
  ResolvedSecretReference,
  FailedSecretReference,
  ResolveSecretReferencesOptions,
  SecretReferenceLocation,
} from './secret-resolver.js';
export {
  vaultSecretResolver,
  envSecretResolver,
  fileSecretResolver,
  resolveSecretReferences,
  collectSecretReferences,
} from './secret-resolver.js';
export type { VaultConfig, VaultConfigInput } from './vault-config.js';
export { vaultConfigSchema, resolveVaultConfig, createVaultClient } from './vault-config.js';
export type { VaultReadinessOptions } from './vault-readiness.js';
export { vaultReadinessCheck, isVaultUsable } from './vault-readiness.js';
