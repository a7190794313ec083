/** `cdc config validate` and `cdc config schema`: check a configuration file, print the editor schema. */
import { configJsonSchema, embeddedPipelines, loadConfigFile, type CdcConfig } from '@cdc/core';
import type { ConnectorRegistry } from '@cdc/connectors';
import type { Command } from 'commander';
import { action, loadConfigPlugins, type CliDeps } from '../context.js';
import { withExamples } from '../help.js';

/** The JSON Schema document as written to `docs/cdc.schema.json`. */
export function configSchemaDocument(): string {
  return `${JSON.stringify({ ...configJsonSchema(), $id: 'https://cdc.dev/schema/cdc.schema.json' }, null, 2)}\n`;
}

/**
 * Every connection URL's scheme is registered (built-ins and plugins); secret references in `url` are
 * skipped when they were not resolved. Throws the registry's `INVALID_ARGUMENT` naming the connection.
 */
export function checkConnectionSchemes(config: CdcConfig, connectors: ConnectorRegistry): void {
  for (const [name, connection] of Object.entries(config.connections)) {
    if (/^(env|file|vault):/.test(connection.url)) continue;
    connectors.resolve(connection.url, `connections.${name}`, { requireHost: false });
  }
}

/** Registers `cdc config …`. */
export function registerConfigCommand(program: Command, deps: CliDeps): void {
  const config = program.command('config').description('Work with the configuration file');
  withExamples(config, ['cdc config validate cdc.yaml', 'cdc config schema > cdc.schema.json']);

  const validate = config
    .command('validate')
    .description(
      'Validate a configuration file: syntax, types, references, ${ENV} and secret references, plugins and URL schemes',
    )
    .argument('[file]', 'configuration file (default: --config, $CDC_CONFIG or cdc.yaml)')
    .option('-c, --config <file>', 'configuration file')
    .option('--no-secrets', 'do not resolve secret references (env:, file:, vault:)')
    .action(
      action(deps, async (ctx, file: string | undefined, opts: { config?: string; secrets: boolean }) => {
        const path = file ?? opts.config ?? ctx.env.CDC_CONFIG ?? 'cdc.yaml';
        const parsed = opts.secrets ? await ctx.config(path) : await loadConfigFile(path, { env: ctx.env });
        // Plugins load (ctx.config did already) and every connection names a registered scheme.
        const connectors = await ctx.connectors();
        if (!opts.secrets) await loadConfigPlugins(connectors, parsed, path);
        checkConnectionSchemes(parsed, connectors);
        const hasKafka =
          parsed.kafka !== undefined || parsed.pipelines.some((p) => p.mode === 'kafka-connect');
        if (hasKafka) {
          const { parseKafkaConnectConfig } = await import('@cdc/kafka-connect');
          parseKafkaConnectConfig(parsed, path);
        }
        const tables = embeddedPipelines(parsed).reduce((n, p) => n + p.tables.length, 0);
        const c = ctx.out.colors;
        ctx.out.result(
          `${c.green('✓')} ${path} is valid: ${Object.keys(parsed.connections).length} connection(s), ` +
            `${parsed.pipelines.length} pipeline(s), ${tables} table(s)` +
            (opts.secrets ? '' : ' (secret references not resolved)'),
        );
      }),
    );
  withExamples(validate, [
    'cdc config validate cdc.yaml',
    'CDC_CONFIG=prod.yaml cdc config validate --no-secrets',
  ]);

  const schema = config
    .command('schema')
    .description('Print the JSON Schema of the configuration file (for editor completion and validation)')
    .action(
      action(deps, async (ctx) => {
        ctx.out.result(configSchemaDocument());
      }),
    );
  withExamples(schema, [
    'cdc config schema > cdc.schema.json',
    '# then, first line of cdc.yaml:  # yaml-language-server: $schema=./cdc.schema.json',
  ]);
}
