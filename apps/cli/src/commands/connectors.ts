/**
 * `cdc connectors render|deploy|status|pause|resume|stop|reset-offsets|restart|delete|scale`: scale-out
 * mode, operated from the same configuration file as the embedded mode. Thin: parse options, load the
 * config, call @cdc/kafka-connect, print.
 */
import type { Command } from 'commander';
import {
  KafkaConnectClient,
  maskSecrets,
  parseKafkaConnectConfig,
  renderConnectors,
  type ConnectorDefinition,
  type ConnectorState,
  type ConnectorStatus,
  type KafkaSettings,
} from '@cdc/kafka-connect';
import { CdcError } from '@cdc/core';

/** What the connectors command needs from the program that hosts it. */
export interface ConnectorsCommandDeps {
  /** Loads and interpolates a configuration file (the CLI's own loader). */
  loadConfig(path: string): Promise<unknown>;
  /** Output for results. Default: process.stdout. */
  stdout?: (text: string) => void;
  /** Output for notices. Default: process.stderr. */
  stderr?: (text: string) => void;
  /** Builds the REST client. Default: {@link KafkaConnectClient.fromSettings}. */
  createClient?: (kafka: KafkaSettings) => KafkaConnectClient;
  /** Records a non-zero exit code (e.g. a failed connector in `status`). Default: process.exitCode. */
  setExitCode?: (code: number) => void;
}

interface CommonOptions {
  config?: string;
  pipeline?: string;
  role?: string;
  json?: boolean;
  /** Seconds to wait for the resulting state (commander parses `--wait [seconds]`). */
  wait?: boolean | string;
}

function waitSeconds(wait: boolean | string | undefined): number | undefined {
  if (wait === undefined || wait === false) return undefined;
  if (wait === true) return 120;
  if (!/^[1-9]\d*$/.test(wait)) {
    throw new CdcError('INVALID_ARGUMENT', `--wait takes a number of seconds, got "${wait}".`);
  }
  return Number(wait);
}

const ROLES = ['source', 'sink'] as const;

function selectRole(connectors: ConnectorDefinition[], role: string | undefined): ConnectorDefinition[] {
  if (role === undefined) return connectors;
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new CdcError('INVALID_ARGUMENT', `--role must be source or sink, got "${role}".`);
  }
  return connectors.filter((c) => c.role === role);
}

function formatStatus(status: ConnectorStatus): string {
  const lines = [
    `${status.name}  ${status.connector.state}  (${status.type ?? 'unknown'}, worker ${status.connector.worker_id})`,
  ];
  if (status.connector.trace) lines.push(`  connector trace: ${status.connector.trace.split('\n')[0] ?? ''}`);
  for (const t of status.tasks) {
    lines.push(`  task ${t.id}  ${t.state}  ${t.worker_id}`);
    if (t.trace) lines.push(`    trace: ${t.trace.split('\n')[0] ?? ''}`);
  }
  return lines.join('\n');
}

/**
 * Registers `connectors` and its subcommands on a commander program.
 *
 * @example
 * ```ts
 * const program = new Command('cdc');
 * registerConnectorsCommand(program, { loadConfig });
 * await program.parseAsync(process.argv);
 * ```
 */
export function registerConnectorsCommand(program: Command, deps: ConnectorsCommandDeps): Command {
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const setExitCode = deps.setExitCode ?? ((code: number) => void (process.exitCode = code));
  const createClient =
    deps.createClient ?? ((kafka: KafkaSettings) => KafkaConnectClient.fromSettings(kafka));

  async function load(options: CommonOptions) {
    const path = options.config ?? process.env.CDC_CONFIG;
    if (!path) {
      throw new CdcError('INVALID_ARGUMENT', 'No configuration file given.', {
        hint: 'Pass --config <file> or set CDC_CONFIG.',
      });
    }
    const raw = await deps.loadConfig(path);
    const config = parseKafkaConnectConfig(raw, path);
    const connectors = selectRole(renderConnectors(config, options.pipeline), options.role);
    return { config, connectors };
  }

  async function each(
    options: CommonOptions,
    run: (client: KafkaConnectClient, connector: ConnectorDefinition) => Promise<string>,
    order: 'forward' | 'reverse' = 'forward',
    waitState?: ConnectorState,
  ): Promise<void> {
    const seconds = waitSeconds(options.wait);
    const { config, connectors } = await load(options);
    const client = createClient(config.kafka);
    const list = order === 'forward' ? connectors : [...connectors].reverse();
    for (const connector of list) {
      out(`${await run(client, connector)}\n`);
      if (seconds !== undefined && waitState !== undefined) {
        await client.waitFor(connector.name, waitState, { timeoutMs: seconds * 1000 });
        out(`${connector.name}: ${waitState}\n`);
      }
    }
  }

  const WAIT = ['--wait [seconds]', 'wait until the connectors reach the state (default 120 s)'] as const;

  const connectors = program
    .command('connectors')
    .description(
      'Scale-out mode: render, deploy and operate the Kafka Connect connectors of kafka-connect pipelines',
    );

  const withCommon = (cmd: Command, roles = true): Command => {
    cmd
      .option('-c, --config <file>', 'configuration file (default: $CDC_CONFIG)')
      .option('-p, --pipeline <name>', 'only this pipeline (default: every kafka-connect pipeline)');
    if (roles) cmd.option('--role <role>', 'only the source or the sink connector');
    return cmd;
  };

  withCommon(connectors.command('render'), true)
    .description('print the connector configs as a JSON array of {name, config} (the REST payloads)')
    .option('--show-secrets', 'print resolved secret values instead of masking them')
    .action(async (options: CommonOptions & { showSecrets?: boolean }) => {
      const { connectors: list } = await load(options);
      const shown = options.showSecrets ? list : list.map(maskSecrets);
      out(
        `${JSON.stringify(
          shown.map((c) => ({ name: c.name, config: c.config })),
          null,
          2,
        )}\n`,
      );
    });

  withCommon(connectors.command('deploy'))
    .description('check plugins, validate, then create or update each connector (idempotent)')
    .option(...WAIT)
    .option('--dry-run', 'show what would be created or changed (secrets masked); write nothing')
    .action(async (options: CommonOptions & { dryRun?: boolean }) => {
      if (options.dryRun) {
        await each(options, async (client, c) => {
          const plan = await client.plan(c);
          const lines = plan.changes.map(
            (ch) => `  ${ch.key}: ${ch.from ?? '(unset)'} → ${ch.to ?? '(unset)'}`,
          );
          return [
            `${plan.name}: would ${plan.action === 'unchanged' ? 'stay unchanged' : plan.action}`,
            ...(plan.action === 'update' ? lines : []),
          ].join('\n');
        });
        return;
      }
      await each(
        options,
        async (client, c) => {
          const result = await client.deploy(c);
          return `${result.name}: ${result.action}`;
        },
        'forward',
        'RUNNING',
      );
    });

  withCommon(connectors.command('status'))
    .description('show the state of each connector and its tasks (exit code 1 if any failed)')
    .option('--json', 'print JSON')
    .action(async (options: CommonOptions) => {
      const { config, connectors: list } = await load(options);
      const client = createClient(config.kafka);
      const statuses: (ConnectorStatus | { name: string; deployed: false })[] = [];
      for (const c of list) {
        const deployed = await client.getConfig(c.name);
        statuses.push(deployed ? await client.status(c.name) : { name: c.name, deployed: false });
      }
      const failed = statuses.some(
        (s) =>
          'connector' in s && (s.connector.state === 'FAILED' || s.tasks.some((t) => t.state === 'FAILED')),
      );
      if (options.json) out(`${JSON.stringify(statuses, null, 2)}\n`);
      else
        for (const s of statuses) out(`${'connector' in s ? formatStatus(s) : `${s.name}  NOT DEPLOYED`}\n`);
      if (failed) {
        err('Some connectors or tasks failed; `cdc connectors restart` restarts the failed ones.\n');
        setExitCode(1);
      }
    });

  // Pause the source first so the sink drains what is already in Kafka; resume the sink first.
  withCommon(connectors.command('pause'))
    .description('pause connectors (sources first)')
    .option(...WAIT)
    .action(async (options: CommonOptions) => {
      await each(
        options,
        async (client, c) => (await client.pause(c.name), `${c.name}: pause requested`),
        'forward',
        'PAUSED',
      );
    });

  withCommon(connectors.command('resume'))
    .description('resume connectors (sinks first)')
    .option(...WAIT)
    .action(async (options: CommonOptions) => {
      await each(
        options,
        async (client, c) => (await client.resume(c.name), `${c.name}: resume requested`),
        'reverse',
        'RUNNING',
      );
    });

  withCommon(connectors.command('stop'))
    .description('stop connectors: config kept, no tasks running (Kafka 3.5+); needed before reset-offsets')
    .option(...WAIT)
    .action(async (options: CommonOptions) => {
      await each(
        options,
        async (client, c) => (await client.stop(c.name), `${c.name}: stop requested`),
        'forward',
        'STOPPED',
      );
    });

  withCommon(connectors.command('reset-offsets'))
    .description(
      'forget where stopped connectors were (Kafka 3.6+): a source snapshots again, a sink re-reads its topics',
    )
    .option('--yes', 'confirm: the next start replays from the beginning')
    .action(async (options: CommonOptions & { yes?: boolean }) => {
      if (!options.yes) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          'reset-offsets replays the source or topics from the beginning.',
          {
            hint: 'Stop the connectors, then run it again with --yes (see docs/operations.md, retention gaps).',
          },
        );
      }
      await each(
        options,
        async (client, c) => (await client.resetOffsets(c.name), `${c.name}: offsets reset`),
      );
    });

  withCommon(connectors.command('restart'))
    .description('restart connectors and their failed tasks')
    .option('--all-tasks', 'restart every task, not only failed ones')
    .action(async (options: CommonOptions & { allTasks?: boolean }) => {
      await each(options, async (client, c) => {
        const status = await client.restart(c.name, { includeTasks: true, onlyFailed: !options.allTasks });
        const restarting = status
          ? status.tasks.filter((t) => t.state === 'RESTARTING').map((t) => t.id)
          : [];
        const connectorRestarting = status?.connector.state === 'RESTARTING';
        return `${c.name}: restart requested (connector ${connectorRestarting ? 'restarting' : 'kept'}, tasks restarting: ${restarting.length > 0 ? restarting.join(', ') : 'none'})`;
      });
    });

  withCommon(connectors.command('delete'))
    .description('delete connectors (offsets stay in Kafka; redeploying resumes from them)')
    .action(async (options: CommonOptions) => {
      await each(
        options,
        async (client, c) => `${c.name}: ${(await client.delete(c.name)) ? 'deleted' : 'not deployed'}`,
      );
    });

  withCommon(connectors.command('scale'), false)
    .description('set tasks.max of the sink (default) or the source connector')
    .argument('<tasks>', 'tasks.max', (value: string) => {
      if (!/^[1-9]\d*$/.test(value)) {
        throw new CdcError('INVALID_ARGUMENT', `tasks must be a positive integer, got "${value}".`);
      }
      return Number(value);
    })
    .option('--role <role>', 'source or sink', 'sink')
    .action(async (tasks: number, options: CommonOptions) => {
      await each(options, async (client, c) => {
        const result = await client.scale(c.name, tasks);
        return `${result.name}: tasks.max=${tasks} (${result.action})`;
      });
    });

  return connectors;
}
