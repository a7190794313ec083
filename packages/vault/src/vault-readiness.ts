/**
 * Vault as a readiness check for the worker's `/readyz` (structurally a `ReadinessCheck` of
 * @cdc/metrics, without depending on it), reporting each health result to a callback (the
 * `cdc_vault_healthy` gauge).
 */
import type { VaultClient, VaultHealth } from './vault-client.js';

/** Options of {@link vaultReadinessCheck}. */
export interface VaultReadinessOptions {
  /** Check name in the `/readyz` report. Default `vault`. */
  name?: string;
  /** Called with every health result, e.g. `(h) => metrics.vaultHealthy.set(isVaultUsable(h) ? 1 : 0)`. */
  onHealth?: (health: VaultHealth) => void;
}

/**
 * True when Vault can serve cdc: active, or a standby (standbys forward requests to the active node).
 * Sealed, uninitialized and unreachable are not usable.
 */
export function isVaultUsable(health: VaultHealth): boolean {
  return health.status === 'ok' || health.status === 'standby';
}

/** A readiness check backed by {@link VaultClient.health}: ready when Vault is usable. */
export function vaultReadinessCheck(
  client: Pick<VaultClient, 'health'>,
  options: VaultReadinessOptions = {},
): { name: string; check(): Promise<{ ok: boolean; detail: string }> } {
  return {
    name: options.name ?? 'vault',
    async check() {
      const health = await client.health();
      options.onHealth?.(health);
      const parts = [
        health.status,
        health.version ? `v${health.version}` : undefined,
        `${health.latencyMs} ms`,
      ];
      if (health.error) parts.push(health.error);
      return { ok: isVaultUsable(health), detail: parts.filter(Boolean).join(', ') };
    },
  };
}
