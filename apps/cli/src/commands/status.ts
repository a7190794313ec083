/**
 * `cdc status`: per replicated table, where replication stands (snapshot, position, lag, last applied,
 * last reconcile, verified through, dead letters). The reading and the document live in @cdc/console,
 * shared with the worker's `GET /api/v1/status`: `--format json` prints the same versioned document.
 */
import { collectStatusDocument, renderStatusText } from '@cdc/console';
import { CdcError } from '@cdc/core';
import type { Command } from 'commander';
import { action, type CliDeps } from '../context.js';
import { withExamples } from '../help.js';
import { configPath, selectPipelines } from './replicate.js';

interface StatusOptions {
  config?: string;
  pipeline?: string;
  format: 'text' | 'json';
}

/** Registers `cdc status`. */
export function registerStatusCommand(program: Command, deps: CliDeps): void {
  const command = program
    .command('status')
    .description(
      'Show replication status per table: position, lag, last applied, last reconcile, verified through, dead letters',
    )
    .option('-c, --config <file>', 'configuration file (default: $CDC_CONFIG)')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('--format <format>', 'output format: text or json', 'text')
    .action(
      action(deps, async (ctx, opts: StatusOptions) => {
        if (opts.format !== 'text' && opts.format !== 'json') {
          throw new CdcError('INVALID_ARGUMENT', `--format must be text or json, got ${opts.format}`);
        }
        const config = await ctx.config(configPath(ctx, opts.config, 'cdc status'));
        const doc = await collectStatusDocument({
          service: 'cdc',
          config,
          pipelines: selectPipelines(config, opts.pipeline),
          connectors: await ctx.connectors(),
          redact: (text) => ctx.redactor.redact(text),
        });
        ctx.out.result(opts.format === 'json' ? JSON.stringify(doc, null, 2) : renderStatusText(doc));
      }),
    );
  withExamples(command, ['cdc status --config cdc.yaml', 'cdc status --config cdc.yaml --format json']);
}
