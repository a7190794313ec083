/**
 * The registry both apps look URL schemes up in: built-in adapters plus whatever plugins registered,
 * one {@link ConnectorDescriptor} per engine. A scheme belongs to one descriptor; a second claim fails
 * naming both providers.
 */
import {
  CdcError,
  redactUrl,
  type ConnectorDescriptor,
  type ConnectorDescriptorCapabilities,
  type OpenScanSourceOptions,
  type ScanSource,
} from '@cdc/core';
import { assertConnectorDescriptor } from './connector-descriptor-check.js';
import {
  importPlugin,
  resolvePlugin,
  type LoadedPlugin,
  type LoadPluginsOptions,
} from './connector-plugins.js';

/** Options of {@link ConnectorRegistry.register}. */
export interface RegisterOptions {
  /** The plugin specifier that brought the descriptor (`./alias.mjs`); absent for built-ins. */
  plugin?: string;
}

/** One scheme as `cdc plugins` lists it. */
export interface SchemeListing {
  scheme: string;
  /** The engine (descriptor name). */
  name: string;
  /** The package that provides the descriptor. */
  packageName: string;
  /** The plugin specifier that registered it; absent for built-ins. */
  plugin?: string;
  exampleUrl: string;
  capabilities: ConnectorDescriptorCapabilities;
}

/** A parsed connection URL and the descriptor its scheme names. */
export interface ResolvedUrl {
  url: URL;
  scheme: string;
  connector: ConnectorDescriptor;
}

/** Options of {@link ConnectorRegistry.resolve}. */
export interface ResolveOptions {
  /** Refuse URLs without a host (`postgres:///db`). Default `true`. */
  requireHost?: boolean;
}

interface Entry {
  connector: ConnectorDescriptor;
  plugin?: string;
}

/** `connector "alias" (./alias.mjs)`, or `connector "postgres" (@cdc/postgres)` for built-ins. */
function label(connector: Pick<ConnectorDescriptor, 'name' | 'packageName'>, plugin?: string): string {
  return `connector "${connector.name}" (${plugin ?? connector.packageName})`;
}

/**
 * URL scheme → {@link ConnectorDescriptor}. `createConnectorRegistry()` gives one with the built-in
 * adapters and plugins; `new ConnectorRegistry([...])` an explicit one (tests, embedding).
 *
 * @example
 * ```ts
 * const registry = new ConnectorRegistry([postgresConnector]);
 * const { connector, url } = registry.resolve('postgres://app@db/shop', 'source');
 * const source = await connector.openScanSource(url.toString());
 * ```
 */
export class ConnectorRegistry {
  readonly #byScheme = new Map<string, Entry>();
  /** The `file:` URLs of the plugin modules loaded, so loading one twice is a no-op. */
  readonly #pluginUrls = new Set<string>();

  constructor(connectors: Iterable<ConnectorDescriptor> = []) {
    for (const connector of connectors) this.register(connector);
  }

  /**
   * Adds a descriptor under each of its schemes. Registering the same descriptor again is a no-op; a
   * scheme another descriptor holds fails with `CONFIG_INVALID` naming both providers, and nothing of
   * the new descriptor is registered.
   */
  register(connector: ConnectorDescriptor, options: RegisterOptions = {}): this {
    return this.registerAll([connector], options);
  }

  /**
   * Registers several descriptors at once (a plugin's): every one is checked and every scheme is
   * checked for conflicts before any is registered, so a failing plugin leaves the registry unchanged.
   */
  registerAll(connectors: readonly ConnectorDescriptor[], options: RegisterOptions = {}): this {
    const claimed = new Map<string, ConnectorDescriptor>();
    for (const connector of connectors) {
      this.#check(connector, options, claimed);
      for (const scheme of connector.schemes) if (!claimed.has(scheme)) claimed.set(scheme, connector);
    }
    for (const connector of connectors) {
      for (const scheme of connector.schemes) {
        if (!this.#byScheme.has(scheme)) {
          this.#byScheme.set(scheme, { connector, ...(options.plugin ? { plugin: options.plugin } : {}) });
        }
      }
    }
    return this;
  }

  #check(
    connector: ConnectorDescriptor,
    options: RegisterOptions,
    claimed: ReadonlyMap<string, ConnectorDescriptor>,
  ): void {
    assertConnectorDescriptor(connector, options.plugin ? `plugin ${options.plugin}` : 'connector');
    for (const scheme of connector.schemes) {
      const sibling = claimed.get(scheme);
      const holder: Entry | undefined =
        sibling && sibling !== connector
          ? { connector: sibling, ...(options.plugin ? { plugin: options.plugin } : {}) }
          : this.#byScheme.get(scheme);
      if (holder && holder.connector !== connector) {
        throw new CdcError(
          'CONFIG_INVALID',
          `${options.plugin ? `plugin ${options.plugin}: ` : ''}${label(connector, options.plugin)} cannot register scheme "${scheme}:", ${label(holder.connector, holder.plugin)} already provides it`,
          { hint: 'give the new connector another scheme, or load only one of the two' },
        );
      }
    }
  }

  /** The descriptor of `scheme` (without the colon), if any. */
  get(scheme: string): ConnectorDescriptor | undefined {
    return this.#byScheme.get(scheme.toLowerCase())?.connector;
  }

  /** Every registered scheme, in registration order. */
  schemes(): string[] {
    return [...this.#byScheme.keys()];
  }

  /** Every registered descriptor once, in registration order. */
  connectors(): ConnectorDescriptor[] {
    return [...new Set([...this.#byScheme.values()].map((e) => e.connector))];
  }

  /** Every scheme with its engine, package, plugin and capabilities (`cdc plugins`). */
  list(): SchemeListing[] {
    return [...this.#byScheme].map(([scheme, e]) => ({
      scheme,
      name: e.connector.name,
      packageName: e.connector.packageName,
      ...(e.plugin ? { plugin: e.plugin } : {}),
      exampleUrl: e.connector.exampleUrl,
      capabilities: { ...e.connector.capabilities },
    }));
  }

  /**
   * Parses a connection URL and finds its descriptor. `what` starts every message (`source`,
   * `pipeline sales: source connection "erp"`). Throws `INVALID_ARGUMENT` for a malformed URL, an
   * unregistered scheme (listing the registered ones) or a missing host; never echoes the password.
   */
  resolve(url: string, what: string, options: ResolveOptions = {}): ResolvedUrl {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `${what} URL ${JSON.stringify(redactUrl(url))} is not a valid URL`,
        {
          hint: `write it like ${this.#exampleUrl()} (percent-encode special characters in user and password)`,
        },
      );
    }
    const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
    const entry = this.#byScheme.get(scheme);
    if (!entry) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `${what} URL ${redactUrl(url)}: unsupported scheme "${scheme}:"`,
        {
          hint: `use one of ${this.schemes()
            .map((s) => `${s}://`)
            .join(
              ', ',
            )}, or load a plugin that provides "${scheme}:" (--plugin, CDC_PLUGINS, or plugins: in the configuration)`,
        },
      );
    }
    if (options.requireHost !== false && !parsed.hostname) {
      throw new CdcError('INVALID_ARGUMENT', `${what} URL ${redactUrl(url)} has no host`, {
        hint: `write it like ${entry.connector.exampleUrl}`,
      });
    }
    return { url: parsed, scheme, connector: entry.connector };
  }

  /**
   * Opens a source for reading by its URL's scheme (the URL carries the resolved password). `what`
   * names it in errors (default `source`).
   */
  async openScanSource(
    url: string,
    options: OpenScanSourceOptions & { what?: string } = {},
  ): Promise<ScanSource> {
    const { connector } = this.resolve(url, options.what ?? 'source');
    const { what: _what, ...open } = options;
    return connector.openScanSource(url, open);
  }

  /**
   * Loads plugin modules and registers their descriptors (see {@link loadPlugins}): relative paths
   * against `options.baseDir`, package names from the working directory.
   */
  async loadPlugins(
    specifiers: readonly string[],
    options: LoadPluginsOptions = {},
  ): Promise<LoadedPlugin[]> {
    const loaded: LoadedPlugin[] = [];
    for (const specifier of specifiers) {
      const url = await resolvePlugin(specifier, options);
      if (this.#pluginUrls.has(url)) continue;
      const connectors = await importPlugin(specifier, url);
      this.registerAll(connectors, { plugin: specifier });
      this.#pluginUrls.add(url);
      loaded.push({ specifier, url, connectors });
    }
    return loaded;
  }

  /** The schema a table name without one resolves to for `url` (`public`, `dbo`, a keyspace). */
  defaultSchema(url: string, what = 'connection'): string | undefined {
    return this.resolve(url, what, { requireHost: false }).connector.defaultSchema?.(url);
  }

  #exampleUrl(): string {
    return (this.get('postgres') ?? this.connectors()[0])?.exampleUrl ?? 'postgres://user@host:5432/db';
  }
}
