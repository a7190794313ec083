/**
 * `cdc plugins`: every URL scheme the connector registry knows (built-in adapters, then `CDC_PLUGINS`,
 * `--plugin` and the configuration's `plugins:`), with the package that provides it and what it can do.
 */
import type { SchemeListing } from '@cdc/connectors';
import { CdcError, type ConnectorDescriptorCapabilities } from '@cdc/core';
import type { Command } from 'commander';
import { action, type CliDeps } from '../context.js';
import { withExamples } from '../help.js';
import { textTable } from '../logical-format.js';

const CAPABILITY_NAMES: Record<keyof ConnectorDescriptorCapabilities, string> = {
  scan: 'scan',
  changeSource: 'change-source',
  sink: 'sink',
  hashPushdown: 'hash-pushdown',
};

/** The capabilities a scheme has, as words (`scan, change-source, sink, hash-pushdown`). */
export function capabilityWords(capabilities: ConnectorDescriptorCapabilities): string {
  return (Object.keys(CAPABILITY_NAMES) as (keyof ConnectorDescriptorCapabilities)[])
    .filter((k) => capabilities[k])
    .map((k) => CAPABILITY_NAMES[k])
    .join(', ');
}

/** The text table of `cdc plugins`. */
export function renderPluginsText(listing: readonly SchemeListing[]): string {
  return textTable([
    ['SCHEME', 'ENGINE', 'PACKAGE', 'LOADED FROM', 'CAPABILITIES'],
    ...listing.map((l) => [
      `${l.scheme}://`,
      l.name,
      l.packageName,
      l.plugin ? `plugin ${l.plugin}` : 'built-in',
      capabilityWords(l.capabilities),
    ]),
  ]);
}

/** Registers `cdc plugins`. */
export function registerPluginsCommand(program: Command, deps: CliDeps): void {
  const command = program
    .command('plugins')
    .description(
      'List every connection URL scheme: the engine and package providing it, and its capabilities (built-ins, CDC_PLUGINS, --plugin, plugins: of the configuration)',
    )
    .option('-c, --config <file>', "also load this configuration's plugins: (default: $CDC_CONFIG when set)")
    .option('--format <format>', 'text or json', 'text')
    .action(
      action(deps, async (ctx, opts: { config?: string; format: string }) => {
        if (opts.format !== 'text' && opts.format !== 'json') {
          throw new CdcError('INVALID_ARGUMENT', `--format must be text or json, got ${opts.format}`);
        }
        const path = opts.config ?? ctx.env.CDC_CONFIG;
        if (path) await ctx.config(path);
        const listing = (await ctx.connectors()).list();
        ctx.out.result(
          opts.format === 'json' ? JSON.stringify({ schemes: listing }, null, 2) : renderPluginsText(listing),
        );
      }),
    );
  withExamples(command, [
    'cdc plugins',
    'cdc plugins --plugin ./my-adapter.mjs --format json',
    'CDC_PLUGINS=@acme/cdc-oracle cdc plugins',
  ]);
}
