/** Help-text helpers: every command ends its `--help` with runnable examples. */
import type { Command } from 'commander';

/** Appends an "Examples" section to a command's help. */
export function withExamples(command: Command, examples: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
}
