/**
 * The adapters `cdc` and `cdc-worker` know without plugins, imported when a registry is created (not
 * when this package loads), so commands that open nothing load no adapter. Drivers (tedious,
 * cassandra-driver, mysql2) load later still, when a URL of theirs is opened.
 */
import type { ConnectorDescriptor } from '@cdc/core';
import { ConnectorRegistry } from './connector-registry.js';
import type { LoadPluginsOptions } from './connector-plugins.js';

/** The packages of the built-in descriptors, in registration order. */
export const BUILTIN_CONNECTOR_PACKAGES = [
  '@cdc/postgres',
  '@cdc/sqlserver',
  '@cdc/scylla',
  '@cdc/mysql',
] as const;

/**
 * The built-in descriptors: PostgreSQL, SQL Server, ScyllaDB, MariaDB/MySQL (`@cdc/mysql`, written
 * only against the public API, like a plugin would be).
 */
export async function loadBuiltinConnectors(): Promise<ConnectorDescriptor[]> {
  const [postgres, sqlserver, scylla, mysql] = await Promise.all([
    import('@cdc/postgres'),
    import('@cdc/sqlserver'),
    import('@cdc/scylla'),
    import('@cdc/mysql'),
  ]);
  return [
    postgres.postgresConnector,
    sqlserver.sqlServerConnector,
    scylla.scyllaConnector,
    mysql.mysqlConnector,
  ];
}

/** Options of {@link createConnectorRegistry}. */
export interface CreateConnectorRegistryOptions extends LoadPluginsOptions {
  /** Plugin specifiers to load after the built-ins (`--plugin`, `CDC_PLUGINS`). */
  plugins?: readonly string[];
  /** Register the built-in adapters. Default `true`. */
  builtins?: boolean;
}

/**
 * A registry with the built-in adapters and the given plugins loaded.
 *
 * @example
 * ```ts
 * const registry = await createConnectorRegistry({ plugins: parsePluginList(process.env.CDC_PLUGINS) });
 * const source = await registry.openScanSource('postgres://app@db/shop');
 * ```
 */
export async function createConnectorRegistry(
  options: CreateConnectorRegistryOptions = {},
): Promise<ConnectorRegistry> {
  const registry = new ConnectorRegistry(options.builtins === false ? [] : await loadBuiltinConnectors());
  if (options.plugins?.length) {
    const { plugins: _plugins, builtins: _builtins, ...load } = options;
    await registry.loadPlugins(options.plugins, load);
  }
  return registry;
}
