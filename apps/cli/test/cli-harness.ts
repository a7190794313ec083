/**
 * Runs the BUILT `cdc` binary (apps/cli/dist/cdc.js) as a child process, the way users run it: real
 * argv, real exit codes, stdout and stderr captured separately, no TTY.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const appRoot = fileURLToPath(new URL('..', import.meta.url));
export const binary = fileURLToPath(new URL('../dist/cdc.js', import.meta.url));

/** Fails clearly when the global setup (test/build-cli.global.ts) did not build the executable. */
export function buildCli(): void {
  if (!existsSync(binary))
    throw new Error(`${binary} is missing: the vitest global setup builds it (npx tsup)`);
}

/** What one invocation printed and returned. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cdc …args` with a clean environment (PG…, CDC_… and color variables of the caller are dropped),
 * in `cwd` (default: this process's working directory).
 */
export function cdc(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
  cwd?: string,
): Promise<CliRun> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(PG|CDC_|MSSQL_|NO_COLOR|FORCE_COLOR)/.test(k)),
  ) as Record<string, string>;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binary, ...args], {
      env: { ...base, ...env },
      stdio: 'pipe',
      ...(cwd ? { cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** The URL with another user password. */
export function withPassword(url: string, password: string | null): string {
  const u = new URL(url);
  u.password = password ?? '';
  return u.toString();
}
