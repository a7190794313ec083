/**
 * Where the CLI writes: results on stdout, exactly as given; everything else (logs, progress, prompts)
 * on stderr, with secrets masked. Colors only on a TTY and never under NO_COLOR.
 */
import pc from 'picocolors';
import type { Redactor } from './redact.js';

/** The slice of a writable stream the CLI uses (process.stdout/stderr or a test buffer). */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Color functions (identity when colors are off). */
export type Colors = Pick<typeof pc, 'red' | 'green' | 'yellow' | 'cyan' | 'bold' | 'dim'>;

/** True when colors should be used on `stream`: a TTY, no NO_COLOR, not disabled by `--no-color`. */
export function useColor(
  stream: OutputStream,
  env: Readonly<Record<string, string | undefined>>,
  flag = true,
): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** The command's view of its terminal. */
export class Output {
  /** Colors for stderr (logs, progress). */
  readonly colors: Colors;
  /** Colors for stdout, or undefined when stdout is not a color terminal (pipes, files). */
  readonly stdoutColors: Colors | undefined;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly verbose: boolean;
  readonly quiet: boolean;
  readonly redactor: Redactor;

  constructor(options: {
    stdout: OutputStream;
    stderr: OutputStream;
    color: boolean;
    stdoutColor?: boolean;
    verbose: boolean;
    quiet: boolean;
    redactor: Redactor;
  }) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.verbose = options.verbose;
    this.quiet = options.quiet;
    this.redactor = options.redactor;
    this.colors = pc.createColors(options.color);
    this.stdoutColors = options.stdoutColor ? pc.createColors(true) : undefined;
  }

  /**
   * A result (stdout), written verbatim: names, keys and values as read, even when one equals a
   * password. Whoever puts a URL into a result passes it through `redactUrl` (@cdc/core), and error texts
   * through `redactor.redact`, first.
   */
  result(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Progress narration (stderr, secrets masked), hidden by `--quiet`. */
  info(text: string): void {
    if (!this.quiet) this.stderr.write(`${this.redactor.redact(text)}\n`);
  }

  /** Details shown with `--verbose` only (stderr). */
  debug(text: string): void {
    if (this.verbose) this.stderr.write(this.colors.dim(`${this.redactor.redact(text)}\n`));
  }

  /** A warning (stderr), shown even with `--quiet`. */
  warn(text: string): void {
    this.stderr.write(`${this.colors.yellow('warning:')} ${this.redactor.redact(text)}\n`);
  }

  /** An error line (stderr). */
  error(text: string): void {
    this.stderr.write(`${this.colors.red('error:')} ${this.redactor.redact(text)}\n`);
  }
}
