/**
 * What every command receives: injectable I/O (so tests can run the program in-process), the global
 * flags, the redactor, and helpers to load the configuration and to turn failures into exit codes.
 */
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { createConnectorRegistry, parsePluginList, type ConnectorRegistry } from '@cdc/connectors';
import {
  defaultSecretResolvers,
  loadConfigFile,
  resolveConfigSecrets,
  type CdcConfig,
  type SecretResolver,
} from '@cdc/core';
import type { Command } from 'commander';
import { classifyError, ExitCode, formatError } from './cli-error.js';
import { Output, useColor, type OutputStream } from './output.js';
import { Redactor } from './redact.js';

/** Injectable dependencies of the program (defaults: the real process). */
export interface CliDeps {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Whether stdin is an interactive terminal (confirmation prompts). */
  stdinIsTTY: boolean;
  /** Asks a question on stderr and reads one line from stdin. */
  prompt(question: string): Promise<string>;
  /** Loads, validates and resolves a configuration file (used by sibling command modules too). */
  loadConfig(path: string): Promise<unknown>;
  /** Extra secret resolvers (e.g. `vault:`), built from the configuration. */
  secretResolvers?(
    config: CdcConfig,
    env: Readonly<Record<string, string | undefined>>,
  ): Promise<SecretResolver[]>;
  /** Sets the process exit code (the program never calls process.exit itself). */
  setExitCode(code: number): void;
}

/** Global flags every command accepts. */
export interface GlobalOptions {
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
  /** `--plugin <specifier>` (repeatable): connector plugin modules. */
  plugin?: string[];
}

/** Per-invocation state shared by a command's helpers. */
export interface CommandContext {
  deps: CliDeps;
  out: Output;
  redactor: Redactor;
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Loads the configuration file, resolving secrets (registered with the redactor), and loads its
   * `plugins:` into {@link connectors} (paths relative to the file).
   */
  config(path: string): Promise<CdcConfig>;
  /**
   * The connector registry of this invocation: the built-in adapters, then `CDC_PLUGINS`, then
   * `--plugin` (created on first use), plus the `plugins:` of every configuration loaded.
   */
  connectors(): Promise<ConnectorRegistry>;
}

/** Creates the default dependencies bound to the current process. */
export function processDeps(): CliDeps {
  const deps: CliDeps = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdinIsTTY: process.stdin.isTTY === true,
    async prompt(question) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    async loadConfig(path) {
      return loadResolvedConfig(deps, path, new Redactor());
    },
    secretResolvers: vaultResolvers,
    setExitCode(code) {
      process.exitCode = code;
    },
  };
  return deps;
}

/**
 * The `vault:` resolver when the configuration has a `vault` block: the block itself is validated by
 * @cdc/vault (its own credentials come from env:/file: references, never from Vault).
 */
export async function vaultResolvers(
  config: CdcConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<SecretResolver[]> {
  if (!config.vault) return [];
  const { resolveVaultConfig, createVaultClient, vaultSecretResolver } = await import('@cdc/vault');
  const vault = await resolveVaultConfig(config.vault, defaultSecretResolvers(env));
  return [vaultSecretResolver(createVaultClient(vault))];
}

/** Loads a configuration file and resolves its secret references (env:, file:, and deps' resolvers). */
export async function loadResolvedConfig(
  deps: CliDeps,
  path: string,
  redactor: Redactor,
): Promise<CdcConfig> {
  const parsed = await loadConfigFile(path, { env: deps.env });
  const extra = deps.secretResolvers ? await deps.secretResolvers(parsed, deps.env) : [];
  const { config, secrets } = await resolveConfigSecrets(
    parsed,
    defaultSecretResolvers(deps.env, extra),
    path,
  );
  for (const s of secrets) redactor.add(s);
  return config;
}

/** Loads a configuration's `plugins:` (paths relative to the file at `path`) into `connectors`. */
export async function loadConfigPlugins(
  connectors: ConnectorRegistry,
  config: Pick<CdcConfig, 'plugins'>,
  path: string,
): Promise<void> {
  if (config.plugins?.length)
    await connectors.loadPlugins(config.plugins, { baseDir: dirname(resolve(path)) });
}

/** The plugins of `--plugin` and `CDC_PLUGINS`, in load order (the environment's first). */
export function globalPlugins(
  env: Readonly<Record<string, string | undefined>>,
  options: Pick<GlobalOptions, 'plugin'>,
): string[] {
  return [...parsePluginList(env.CDC_PLUGINS), ...(options.plugin ?? [])];
}

/** Builds the context of one command invocation from its (global) options. */
export function createContext(deps: CliDeps, command: Command): CommandContext {
  const opts = command.optsWithGlobals<GlobalOptions & { format?: string }>();
  const redactor = new Redactor();
  const out = new Output({
    stdout: deps.stdout,
    stderr: deps.stderr,
    color: useColor(deps.stderr, deps.env, opts.color !== false),
    stdoutColor: useColor(deps.stdout, deps.env, opts.color !== false),
    verbose: opts.verbose === true,
    quiet: opts.quiet === true,
    redactor,
  });
  let registry: Promise<ConnectorRegistry> | undefined;
  const connectors = () => (registry ??= createConnectorRegistry({ plugins: globalPlugins(deps.env, opts) }));
  return {
    deps,
    out,
    redactor,
    env: deps.env,
    async config(path) {
      const config = await loadResolvedConfig(deps, path, redactor);
      await loadConfigPlugins(await connectors(), config, path);
      return config;
    },
    connectors,
  };
}

/**
 * Wraps a command action: runs it with a fresh context, maps its result to the exit code, and turns
 * any failure into one redacted line on stderr and exit code 2.
 */
export function action<A extends unknown[]>(
  deps: CliDeps,
  run: (ctx: CommandContext, ...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    const ctx = createContext(deps, command);
    try {
      // Plugins named on the command line or in the environment load before anything else runs, so a
      // broken one fails every command the same way.
      if (globalPlugins(deps.env, command.optsWithGlobals<GlobalOptions>()).length > 0)
        await ctx.connectors();
      const code = await run(ctx, ...args);
      deps.setExitCode(code ?? ExitCode.inSync);
    } catch (error) {
      ctx.out.error(formatError(classifyError(error), ctx.out.verbose));
      deps.setExitCode(ExitCode.error);
    }
  };
}

/** Environment variable values parsed as a boolean flag. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
