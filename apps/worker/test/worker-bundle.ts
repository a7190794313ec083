/**
 * The real `cdc-worker` binary for tests that kill it: its entry bundled from source (workspace packages
 * through @cdc/source) next to node_modules, so third-party imports resolve as in an installed worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@cdc/testkit';
import { build } from 'esbuild';

/** Bundles `src/bin.ts`; returns the path of the bundle (one per test process). */
export async function buildWorkerBundle(name: string): Promise<string> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const outdir = join(here, '..', 'node_modules', '.cache', name);
  await mkdir(outdir, { recursive: true });
  const bundle = join(outdir, `cdc-worker-${process.pid}.mjs`);
  await build({
    entryPoints: [join(here, '..', 'src', 'bin.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@cdc/source'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'external-third-party',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@cdc/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return bundle;
}

/** Starts the bundled worker on a free metrics port; `children` tracks it until it exits. */
export async function startWorkerProcess(
  bundle: string,
  config: string,
  children: Set<ChildProcess>,
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [bundle, '--config', config, '--metrics-port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CDC_LOG_LEVEL: process.env.CDC_TEST_WORKER_LOG_LEVEL ?? 'warn' },
  });
  // The last 16 KiB of its log (level warn and up), for assertion messages: a worker that exits when it
  // should not says why in the test's failure instead of nowhere.
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-16_384);
    if (process.env.CDC_TEST_WORKER_LOG) appendFileSync(process.env.CDC_TEST_WORKER_LOG, chunk);
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return { child, port, stderr: () => tail };
}

/** Resolves with the exit code once the process has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(child.exitCode)
      : child.once('exit', (code) => resolve(code)),
  );
}
