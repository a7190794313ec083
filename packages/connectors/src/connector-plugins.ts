/**
 * Plugin modules: a module specifier (`./my-adapter.mjs`, `@acme/cdc-oracle`) whose exports are
 * connector descriptors. Paths resolve against the configuration file's folder (or the working
 * directory), package names from the working directory, like `node` run there would resolve them.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CdcError, describeError, type ConnectorDescriptor } from '@cdc/core';
import { assertConnectorDescriptor } from './connector-descriptor-check.js';
import type { ConnectorRegistry } from './connector-registry.js';

/** Options of {@link loadPlugins}. */
export interface LoadPluginsOptions {
  /**
   * The folder relative paths resolve against: the configuration file's folder for `plugins:`, the
   * working directory for `--plugin` and `CDC_PLUGINS`. Default: `cwd`.
   */
  baseDir?: string;
  /** The folder package names resolve from. Default `process.cwd()`. */
  cwd?: string;
}

/** One loaded plugin module and the descriptors it registered. */
export interface LoadedPlugin {
  specifier: string;
  /** The module's `file:` URL. */
  url: string;
  connectors: ConnectorDescriptor[];
}

/** `CDC_PLUGINS` (comma-separated specifiers) as a list; blanks dropped. */
export function parsePluginList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function isPath(specifier: string): boolean {
  return (
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier === '.' ||
    specifier === '..' ||
    specifier.startsWith('.\\') ||
    specifier.startsWith('..\\') ||
    isAbsolute(specifier)
  );
}

/** The `file:` URL of a plugin; throws `CONFIG_INVALID` naming the plugin when there is none. */
export async function resolvePlugin(specifier: string, options: LoadPluginsOptions = {}): Promise<string> {
  const cwd = options.cwd ?? process.cwd();
  const baseDir = options.baseDir ?? cwd;
  if (specifier.startsWith('file:') || isPath(specifier)) {
    const path = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolvePath(baseDir, specifier);
    if (!existsSync(path)) {
      throw new CdcError('CONFIG_INVALID', `plugin ${specifier} not found: ${path} does not exist`, {
        hint: `relative plugin paths resolve against ${
          options.baseDir ? 'the configuration file' : 'the working directory'
        } (${baseDir}); check the path`,
      });
    }
    return pathToFileURL(path).href;
  }
  const { resolve } = await import('import-meta-resolve');
  try {
    return resolve(specifier, pathToFileURL(join(cwd, 'package.json')).href);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      throw new CdcError('CONFIG_INVALID', `plugin ${specifier} not found from ${cwd}`, {
        hint: `install it there (npm install ${specifier}), or give a path such as ./my-adapter.mjs`,
        cause: error,
      });
    }
    throw new CdcError('CONFIG_INVALID', `plugin ${specifier} cannot be resolved: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/** Could `value` be meant as a descriptor (then it must be a valid one)? */
function looksLikeDescriptor(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    ('schemes' in value || 'openScanSource' in value) &&
    !Array.isArray(value)
  );
}

/**
 * The descriptors a plugin module exports: named exports that are descriptors or arrays of them, and a
 * default export of either. Each is checked; an invalid one fails naming the plugin.
 */
export function pluginConnectors(module: Record<string, unknown>, specifier: string): ConnectorDescriptor[] {
  const found = new Set<ConnectorDescriptor>();
  const consider = (value: unknown, exportName: string) => {
    const values = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && !value.some(looksLikeDescriptor)) return;
    for (const v of values) {
      if (!looksLikeDescriptor(v)) {
        if (Array.isArray(value)) {
          throw new CdcError(
            'CONFIG_INVALID',
            `plugin ${specifier}: export ${exportName} mixes connector descriptors with other values`,
            { hint: 'export an array of descriptors only' },
          );
        }
        return;
      }
      assertConnectorDescriptor(v, `plugin ${specifier} (export ${exportName})`);
      found.add(v);
    }
  };
  for (const [name, value] of Object.entries(module)) consider(value, name);
  return [...found];
}

/**
 * Imports one plugin module (resolved from `url`) and returns its descriptors. Errors name the plugin:
 * it could not be loaded, or it exports no descriptor (or an invalid one).
 */
export async function importPlugin(specifier: string, url: string): Promise<ConnectorDescriptor[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (error) {
    throw new CdcError('CONFIG_INVALID', `plugin ${specifier} could not be loaded: ${describeError(error)}`, {
      hint: 'run it with node to see the full error; its own imports resolve from its folder',
      cause: error,
    });
  }
  const connectors = pluginConnectors(module, specifier);
  if (connectors.length === 0) {
    throw new CdcError('CONFIG_INVALID', `plugin ${specifier} exports no connector descriptor`, {
      hint: 'export a descriptor (name, packageName, schemes, exampleUrl, passwordVariables, capabilities, openScanSource), an array of them, or a default export of either; see docs/contributing.md, "Write an adapter"',
    });
  }
  return connectors;
}

/**
 * Loads plugin modules in order and registers their descriptors; {@link ConnectorRegistry.loadPlugins}
 * as a function. A module loaded before (same resolved file) is skipped. Errors name the plugin: not
 * found, failed to load, no descriptor, a scheme already taken.
 *
 * @example
 * ```ts
 * await loadPlugins(registry, ['./alias.mjs'], { baseDir: dirname(configPath) });
 * ```
 */
export function loadPlugins(
  registry: ConnectorRegistry,
  specifiers: readonly string[],
  options: LoadPluginsOptions = {},
): Promise<LoadedPlugin[]> {
  return registry.loadPlugins(specifiers, options);
}
