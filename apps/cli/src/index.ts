/**
 * The `cdc` command-line program. {@link createProgram} builds the commander program with injectable
 * I/O (tests run it in-process); {@link runCli} parses arguments and returns the exit code
 * (0 in sync, 1 differences found, 2 error).
 * @packageDocumentation
 */
import { loadConfigFile } from '@cdc/core';
import { Command, CommanderError } from 'commander';
import { registerCheckCommand } from './commands/check.js';
import { registerConfigCommand } from './commands/config.js';
import { registerConnectorsCommand } from './commands/connectors.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDiffCommand } from './commands/diff.js';
import { registerPluginsCommand } from './commands/plugins.js';
import { registerReconcileCommand } from './commands/reconcile.js';
import { registerRepairCommand } from './commands/repair.js';
import { registerReplicateCommand } from './commands/replicate.js';
import { registerSnapshotCommand } from './commands/snapshot.js';
import { registerStatusCommand } from './commands/status.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerSqlServerCommand } from './commands/sqlserver.js';
import { processDeps, type CliDeps } from './context.js';
import { withExamples } from './help.js';

export type { CliDeps, CommandContext, GlobalOptions } from './context.js';
export { processDeps } from './context.js';
export { ExitCode, classifyError, formatError } from './cli-error.js';
export { parseDuration } from './duration.js';
export { Redactor } from './redact.js';
export type { OutputStream } from './output.js';
export { connectUrl, type ConnectOptions, type OpenConnection } from './connect.js';
export {
  connectionError,
  describeConnection,
  noSlotMessage,
  openPipelineReplication,
  sourceConnectorOf,
  sourceEngineOf,
  urlWithPassword,
  type OpenPipelineReplicationOptions,
  type PipelineReplication,
  type ReplicationConnection,
  type SourceEngine,
} from './replication-sources.js';

/** Package version, kept in step with package.json by the release tooling. */
export const CLI_VERSION = '0.1.0';

/**
 * A command module: adds itself (and its subcommands) to the program. Sibling modules written
 * elsewhere (`connectors`, `snapshot`, `replicate`, `status`) follow the same shape.
 */
export type RegisterCommand = (program: Command, deps: CliDeps) => void;

/**
 * Commands contributed by other modules of this app (replication: snapshot, replicate, status; Kafka
 * Connect: connectors). Register them here, in help order.
 */
const contributedCommands: RegisterCommand[] = [
  (program, deps) =>
    registerConnectorsCommand(program, {
      // Validated and ${ENV}-interpolated, secret references left as written: connection passwords reach
      // Kafka Connect as config-provider references (env:, file:, vault:), never as values.
      loadConfig: (path) => loadConfigFile(path, { env: deps.env }),
      stdout: (text) => void deps.stdout.write(text),
      stderr: (text) => void deps.stderr.write(text),
      setExitCode: deps.setExitCode,
    }),
  (program, deps) => registerReplicateCommand(program, deps),
  (program, deps) => registerSnapshotCommand(program, deps),
  (program, deps) => registerStatusCommand(program, deps),
  (program, deps) => registerSqlServerCommand(program, deps),
];

/** Builds the `cdc` program. Pass `deps` to redirect I/O (tests); defaults to the current process. */
export function createProgram(deps: CliDeps = processDeps()): Command {
  const program = new Command('cdc')
    .description('Replicate SQL Server and ScyllaDB into PostgreSQL, prove the copy is equal, and repair it.')
    .version(CLI_VERSION, '-V, --version')
    .option('-v, --verbose', 'show details and stack traces')
    .option('-q, --quiet', 'print only results and errors')
    .option('--no-color', 'disable colors (also NO_COLOR=1)')
    .option(
      '--plugin <specifier>',
      'load a connector plugin module before any URL is parsed: a path (./my-adapter.mjs) or a package name; repeatable (also CDC_PLUGINS, comma-separated, and plugins: in the configuration)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void deps.stdout.write(s),
      writeErr: (s) => void deps.stderr.write(s),
    });
  withExamples(program, [
    'cdc demo',
    'cdc diff postgres://app@db1/shop public.orders postgres://app@db2/shop public.orders',
    'cdc diff --config cdc.yaml --table dbo.orders --format json',
    'cdc check --config cdc.yaml',
  ]);
  registerDiffCommand(program, deps);
  registerReconcileCommand(program, deps);
  registerRepairCommand(program, deps);
  registerCheckCommand(program, deps);
  registerSchemaCommand(program, deps);
  registerConfigCommand(program, deps);
  registerDemoCommand(program, deps);
  registerPluginsCommand(program, deps);
  for (const register of contributedCommands) register(program, deps);
  // Subcommands inherit output routing and error handling, so parse errors also exit with 2.
  for (const command of allCommands(program)) {
    command.exitOverride().configureOutput({
      writeOut: (s) => void deps.stdout.write(s),
      writeErr: (s) => void deps.stderr.write(s),
    });
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Parses `argv` (without `node` and the script) and runs the command; resolves to the exit code. */
export async function runCli(argv: readonly string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  let exitCode = 0;
  const deps: CliDeps = {
    ...processDeps(),
    ...overrides,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const program = createProgram(deps);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode;
}
