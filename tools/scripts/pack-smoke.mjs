#!/usr/bin/env node
/**
 * Packaging smoke test, the way a user meets cdc: packs every publishable workspace, installs all the
 * tarballs into an empty project outside the repository (third-party dependencies from the registry), then
 * runs `cdc --version`, `cdc demo`, `cdc-worker --help` and an ESM and a CJS script that diff two tables on
 * an embedded PostgreSQL through the public API of @cdc/core and @cdc/postgres. Catches undeclared
 * dependencies, files missing from `files`, and exports that only resolve inside the workspace.
 *
 * Usage (after `npm run build`): node tools/scripts/pack-smoke.mjs [--keep] [--verbose] [--dir <folder>]
 *   --keep      keep the temp folders (tarballs, project) for debugging; their paths are printed
 *   --verbose   stream every command's output (default: shown only when the command fails)
 *   --dir       make the temp folders inside <folder> (also $PACK_SMOKE_DIR), readable by every OS user
 *               (0755) instead of the default 0700 `mkdtemp` folders in the OS temp folder
 */
import { spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { clearTimeout, setTimeout } from 'node:timers';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

/**
 * Time boxes in ms: per command, generous for a cold npm cache and a first copy of the server binaries,
 * and for the whole run, well inside CI's 15 minutes (a warm run takes about half a minute).
 */
const TIMEOUT = { pack: 120_000, install: 300_000, command: 120_000, total: 600_000 };

// ---- arguments

const argv = process.argv.slice(2);
const options = { keep: false, verbose: false, dir: process.env.PACK_SMOKE_DIR || undefined };
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--keep') options.keep = true;
  else if (arg === '--verbose') options.verbose = true;
  else if (arg === '--dir' && argv[i + 1]) options.dir = argv[++i];
  else if (arg.startsWith('--dir=')) options.dir = arg.slice('--dir='.length);
  else {
    console.error(`unknown argument ${JSON.stringify(arg)}`);
    console.error('usage: node tools/scripts/pack-smoke.mjs [--keep] [--verbose] [--dir <folder>]');
    process.exit(2);
  }
}

// ---- output and steps

const started = Date.now();
const deadline = started + TIMEOUT.total;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const results = [];

class StepFailure extends Error {
  constructor(message, output = '') {
    super(message);
    this.output = output;
  }
}

/** Runs one named step; prints its outcome; a failure stops the run (see `main`). */
async function step(name, work) {
  console.log(`\n→ ${name}`);
  const t0 = Date.now();
  try {
    const note = await work();
    const line = `✓ ${name} (${seconds(Date.now() - t0)})${note ? `: ${note}` : ''}`;
    results.push(line);
    console.log(line);
  } catch (error) {
    results.push(`✗ ${name} (${seconds(Date.now() - t0)})`);
    throw error;
  }
}

// ---- child processes

/**
 * The environment of every command: ours, minus what `npm run` adds about the repository (its folder,
 * package and workspace settings), so npm and node in the project see only the project.
 */
function childEnv() {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const key of Object.keys(env)) {
    const k = key.toLowerCase();
    if (
      (k.startsWith('npm_') && !k.startsWith('npm_config_')) ||
      [
        'npm_config_local_prefix',
        'npm_config_call',
        'npm_config_workspace',
        'npm_config_workspaces',
        'npm_config_include_workspace_root',
        'init_cwd',
        'node_path',
      ].includes(k)
    ) {
      delete env[key];
    }
  }
  return env;
}

let current; // the running child, killed on Ctrl-C
/**
 * Runs `file args` in `cwd` in its own process group (a time-out or Ctrl-C stops it and everything it
 * started, the embedded server included); resolves with its exit and its interleaved stdout and stderr.
 */
function run(file, args, { cwd, timeoutMs: own }) {
  const timeoutMs = Math.max(0, Math.min(own, deadline - Date.now()));
  const shown = `${file} ${args.join(' ')}`;
  console.log(`  $ ${shown}${cwd === root ? '' : `   (in ${cwd})`}`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      shell: process.platform === 'win32',
    });
    current = child;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      if (options.verbose) process.stdout.write(chunk.replace(/^(?=.)/gm, '  | '));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child);
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new StepFailure(`could not run ${shown}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolvePromise({ code, signal, output, timedOut, timeoutMs, shown });
    });
  });
}

/** SIGTERM to the process group (the embedded server's exit hooks stop PostgreSQL), SIGKILL after 10 s. */
function killTree(child) {
  const kill = (signal) => {
    try {
      if (process.platform === 'win32') child.kill(signal);
      else process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  kill('SIGTERM');
  setTimeout(() => kill('SIGKILL'), 10_000).unref();
}

/** Runs a command that must exit 0 in time; returns its output. */
async function mustRun(file, args, opts) {
  const r = await run(file, args, opts);
  if (r.timedOut) {
    const budget = r.timeoutMs < opts.timeoutMs ? ' (the time left of the whole run)' : '';
    throw new StepFailure(`${r.shown} did not finish within ${seconds(r.timeoutMs)}${budget}`, r.output);
  }
  if (r.code !== 0) {
    throw new StepFailure(
      `${r.shown} failed (${r.signal ? `signal ${r.signal}` : `exit ${r.code}`})`,
      r.output,
    );
  }
  return r.output;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const node = process.execPath;

// ---- the packages

/** Every workspace under packages/ and apps/ that is not private, with its manifest. */
function publishablePackages() {
  return ['packages', 'apps']
    .flatMap((group) => {
      const folder = join(root, group);
      return existsSync(folder)
        ? readdirSync(folder)
            .sort()
            .map((name) => join(folder, name))
        : [];
    })
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => !manifest.private);
}

/** Every file a manifest points at (`main`, `module`, `types`, `bin`, every `exports` target). */
function manifestTargets(manifest) {
  const targets = new Set();
  const add = (value) => {
    if (typeof value === 'string') {
      if (!value.includes('*')) targets.add(value);
    } else if (value && typeof value === 'object') {
      for (const v of Object.values(value)) add(v);
    }
  };
  add(manifest.main);
  add(manifest.module);
  add(manifest.types);
  add(manifest.typings);
  add(typeof manifest.bin === 'string' ? manifest.bin : manifest.bin && Object.values(manifest.bin));
  add(manifest.exports);
  return [...targets];
}

/** Targets in `dist/` that do not exist: the build has not run (or is stale in shape). */
function missingBuildOutputs(pkg) {
  return manifestTargets(pkg.manifest)
    .filter((t) => /^(\.\/)?dist\//.test(t))
    .filter((t) => !existsSync(join(pkg.dir, t)));
}

// ---- the user's project

/** Folders a Node program in `dir` could load packages from besides `dir/node_modules`. */
function leakyFolders(dir) {
  const found = [];
  for (let up = dirname(dir); ; up = dirname(up)) {
    if (existsSync(join(up, 'node_modules'))) found.push(join(up, 'node_modules'));
    if (dirname(up) === up) break;
  }
  // CommonJS also searches these (https://nodejs.org/api/modules.html#loading-from-the-global-folders).
  for (const global of [join(homedir(), '.node_modules'), join(homedir(), '.node_libraries')]) {
    if (existsSync(global)) found.push(global);
  }
  return found;
}

function isInside(child, parent) {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A fresh temp folder: 0700 from mkdtemp in the OS temp folder, or 0755 inside `--dir`. */
async function tempFolder(prefix) {
  if (!options.dir) return mkdtemp(join(tmpdir(), prefix));
  const base = resolve(options.dir);
  if (isInside(base, root)) {
    throw new StepFailure(`--dir ${base} is inside the repository; give a folder outside ${root}`);
  }
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, prefix));
  await chmod(dir, 0o755);
  return dir;
}

/**
 * The ESM and CJS smoke scripts: the same program, differing only in how they load the packages. Each
 * starts an embedded server, plants one difference between two small tables and expects the diff (hash
 * and stream algorithms) to report exactly that difference.
 */
function smokeScript(flavor) {
  const file = flavor === 'esm' ? 'smoke.mjs' : 'smoke.cjs';
  const imports =
    flavor === 'esm'
      ? [
          "import assert from 'node:assert/strict';",
          "import { diffTables, renderDiffText } from '@cdc/core';",
          "import { connectPostgres } from '@cdc/postgres';",
          "import { startEmbeddedPostgres } from '@cdc/testkit/embedded';",
        ]
      : [
          "const assert = require('node:assert/strict');",
          "const { diffTables, renderDiffText } = require('@cdc/core');",
          "const { connectPostgres } = require('@cdc/postgres');",
          "const { startEmbeddedPostgres } = require('@cdc/testkit/embedded');",
        ];
  return `// ${file}: written by tools/scripts/pack-smoke.mjs; exits non-zero unless the diff finds exactly
// the one planted difference.
${imports.join('\n')}

const TABLE = { schema: 'public', name: 'fruit' };

function databaseUrl(serverUrl, database) {
  const url = new URL(serverUrl);
  url.pathname = '/' + database;
  return url.toString();
}

async function main() {
  const server = await startEmbeddedPostgres();
  const adapters = [];
  const open = (url) => {
    const adapter = connectPostgres({ url });
    adapters.push(adapter);
    return adapter;
  };
  try {
    const admin = open(server.url);
    await admin.pool.query('CREATE DATABASE smoke_source');
    await admin.pool.query('CREATE DATABASE smoke_target');
    const source = open(databaseUrl(server.url, 'smoke_source'));
    const target = open(databaseUrl(server.url, 'smoke_target'));
    for (const side of [source, target]) {
      await side.pool.query('CREATE TABLE fruit (id integer PRIMARY KEY, name text NOT NULL, qty integer)');
      await side.pool.query("INSERT INTO fruit VALUES (1, 'apple', 10), (2, 'banana', 20), (3, 'cherry', 30)");
    }
    // The planted difference.
    await target.pool.query("UPDATE fruit SET name = 'Banana' WHERE id = 2");

    for (const algorithm of ['hash', 'stream']) {
      const result = await diffTables({
        source: { source, table: await source.introspect(TABLE) },
        target: { source: target, table: await target.introspect(TABLE) },
        algorithm,
      });
      console.log(renderDiffText(result));
      assert.equal(result.status, 'differences', algorithm + ': status');
      assert.deepEqual(result.summary, { missing: 0, extra: 0, mismatched: 1 }, algorithm + ': summary');
      assert.deepEqual(
        result.differences.map((d) => ({
          kind: d.kind,
          id: String(d.key.id),
          columns: d.columns,
          source: d.source && d.source.name,
          target: d.target && d.target.name,
        })),
        [{ kind: 'mismatched', id: '2', columns: ['name'], source: 'banana', target: 'Banana' }],
        algorithm + ': differences',
      );
    }
    console.log("${file}: ok, exactly the planted difference (fruit id 2: name 'banana' → 'Banana'), hash and stream");
  } finally {
    await Promise.allSettled(adapters.map((a) => a.close()));
    await server.stop();
  }
}

main().catch((error) => {
  console.error('${file}: FAILED');
  console.error(error);
  process.exitCode = 1;
});
`;
}

/**
 * The subpaths a manifest exports, by how they load: `import` (ESM) and `require` (CJS) conditions, or a
 * plain target for both. `./package.json` is left out.
 */
function exportedEntries(manifest) {
  const entries = [];
  const exportsMap =
    typeof manifest.exports === 'string' || manifest.exports?.import || manifest.exports?.require
      ? { '.': manifest.exports }
      : (manifest.exports ?? { '.': manifest.main ?? 'index.js' });
  for (const [subpath, target] of Object.entries(exportsMap)) {
    if (subpath === './package.json' || subpath.includes('*')) continue;
    const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
    const plain = typeof target === 'string' || Boolean(target?.default);
    entries.push({
      specifier,
      esm: plain || Boolean(target?.import),
      cjs: plain || Boolean(target?.require),
    });
  }
  return entries;
}

/** A script that loads each specifier (`import()` or `require()`) and prints one JSON line of outcomes. */
function loadScript(flavor, specifiers) {
  const load = flavor === 'esm' ? 'await import(specifier)' : 'require(specifier)';
  const body = `const outcomes = [];
for (const specifier of ${JSON.stringify(specifiers)}) {
  try {
    const loaded = ${load};
    outcomes.push({ specifier, exports: Object.keys(loaded).length });
  } catch (error) {
    outcomes.push({ specifier, error: String(error && error.message).split('\\n')[0] });
  }
}
console.log(JSON.stringify(outcomes));
`;
  return body;
}

/** Every `@cdc/*` package in the project's lockfile must come from a tarball, none from the registry. */
async function checkLockfile(project, names) {
  const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8'));
  const problems = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!names.has(name)) continue;
    if (path !== `node_modules/${name}`) problems.push(`${path}: a second copy of ${name}`);
    if (!String(entry.resolved ?? '').startsWith('file:')) {
      problems.push(`${path}: resolved from ${entry.resolved ?? 'the registry'}, not from its tarball`);
    }
  }
  for (const name of names) {
    if (!lock.packages?.[`node_modules/${name}`]) problems.push(`${name} is not installed`);
  }
  return problems;
}

/**
 * The packages the JavaScript in `dist/` of an installed package imports (static, `import('…')` and
 * `require('…')` with a literal name), found by esbuild's parser following the relative imports between
 * files; a relative import of a file that is not there fails the build. Built-ins are left out.
 */
async function importedPackages(dir) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    throw new StepFailure(`esbuild (a root devDependency) is not installed; run npm ci: ${error.message}`);
  }
  const files = readdirSync(join(dir, 'dist'), { recursive: true })
    .map(String)
    .filter((f) => /\.(c|m)?js$/.test(f));
  const result = await esbuild.build({
    // Keys keep index.js and index.cjs from writing the same (unwritten) output.
    entryPoints: Object.fromEntries(files.map((f, i) => [`entry${i}`, join(dir, 'dist', f)])),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    write: false,
    outdir: 'out',
    metafile: true,
    logLevel: 'silent',
  });
  const imported = new Map();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    for (const { path, external } of input.imports) {
      if (!external || path.startsWith('node:') || builtinModules.includes(path)) continue;
      const parts = path.split('/');
      const name = path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      if (builtinModules.includes(name)) continue;
      if (!imported.has(name)) imported.set(name, new Set());
      imported.get(name).add(relative(dir, resolve(file)));
    }
  }
  return imported;
}

// ---- main

const cleanup = [];

async function main() {
  console.log(`pack-smoke: the published packages, installed and used like a user (${root})`);

  const packages = publishablePackages();
  await step(`check the builds of ${packages.length} publishable packages`, async () => {
    const missing = packages.flatMap((pkg) =>
      missingBuildOutputs(pkg).map((t) => `${pkg.manifest.name}: ${relative(root, join(pkg.dir, t))}`),
    );
    if (missing.length > 0) {
      throw new StepFailure(
        `build output missing; run \`npm run build\` first:\n${missing.map((m) => `  ${m}`).join('\n')}`,
      );
    }
    return packages.map((p) => p.manifest.name).join(', ');
  });

  const tarballs = await tempFolder('cdc-pack-tarballs-');
  const project = await tempFolder('cdc-pack-smoke-');
  cleanup.push(tarballs, project);
  for (const dir of [tarballs, project]) {
    const real = realpathSync(dir);
    if (isInside(real, realpathSync(root))) {
      throw new StepFailure(`${real} is inside the repository; give --dir a folder outside ${root}`);
    }
  }
  const leaks = leakyFolders(realpathSync(project));
  if (leaks.length > 0) {
    throw new StepFailure(
      `packages could resolve from outside the project: ${leaks.join(', ')}; use --dir <folder> elsewhere`,
    );
  }
  console.log(`\ntarballs: ${tarballs}\nproject:  ${project}`);

  const files = [];
  await step('npm pack every publishable package', async () => {
    const args = ['pack', '--json', '--pack-destination', tarballs];
    for (const pkg of packages) args.push('--workspace', relative(root, pkg.dir).split(sep).join('/'));
    const output = await mustRun(npm, args, { cwd: root, timeoutMs: TIMEOUT.pack });
    const packed = JSON.parse(output.slice(output.indexOf('[')));
    for (const p of packed) files.push(join(tarballs, p.filename));
    const names = new Set(packed.map((p) => p.name));
    const unpacked = packages.filter((p) => !names.has(p.manifest.name)).map((p) => p.manifest.name);
    if (unpacked.length > 0)
      throw new StepFailure(`npm pack made no tarball for ${unpacked.join(', ')}`, output);
    const kib = packed.reduce((sum, p) => sum + p.size, 0) / 1024;
    return `${packed.length} tarballs, ${kib.toFixed(0)} KiB`;
  });

  await step('create an empty project and install every tarball at once', async () => {
    await mustRun(npm, ['init', '-y'], { cwd: project, timeoutMs: TIMEOUT.command });
    await mustRun(npm, ['install', '--no-audit', '--no-fund', ...files], {
      cwd: project,
      timeoutMs: TIMEOUT.install,
    });
    const problems = await checkLockfile(project, new Set(packages.map((p) => p.manifest.name)));
    if (problems.length > 0) throw new StepFailure(`unexpected install:\n  ${problems.join('\n  ')}`);
    const installed = await readdir(join(project, 'node_modules'));
    return `${installed.length} top-level entries in node_modules`;
  });

  await step('every file the installed manifests point at is in the package', async () => {
    const missing = [];
    for (const pkg of packages) {
      const dir = join(project, 'node_modules', ...pkg.manifest.name.split('/'));
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      for (const t of manifestTargets(manifest)) {
        if (!existsSync(join(dir, t))) missing.push(`${manifest.name}: ${t}`);
      }
    }
    if (missing.length > 0) throw new StepFailure(`not in the tarballs:\n  ${missing.join('\n  ')}`);
  });

  await step('every export loads, with import() and require()', async () => {
    const problems = [];
    const notes = [];
    let loaded = 0;
    for (const flavor of ['esm', 'cjs']) {
      const wanted = packages.flatMap(({ manifest }) =>
        exportedEntries(manifest)
          .filter((e) => e[flavor])
          .map((e) => ({ ...e, manifest })),
      );
      const file = flavor === 'esm' ? 'load-exports.mjs' : 'load-exports.cjs';
      await writeFile(
        join(project, file),
        loadScript(
          flavor,
          wanted.map((e) => e.specifier),
        ),
      );
      const output = await mustRun(node, [file], { cwd: project, timeoutMs: TIMEOUT.command });
      const outcomes = JSON.parse(output.trim().split('\n').at(-1));
      for (const [i, outcome] of outcomes.entries()) {
        const { manifest } = wanted[i];
        const how = flavor === 'esm' ? 'import' : 'require';
        const missing = /Cannot find (?:package|module) '([^']+)'/.exec(outcome.error ?? '')?.[1];
        const missingName = missing?.startsWith('@')
          ? missing.split('/').slice(0, 2).join('/')
          : missing?.split('/')[0];
        if (outcome.error && manifest.peerDependenciesMeta?.[missingName]?.optional) {
          // An optional peer is the user's to install when they use the entry that needs it.
          notes.push(`${how} ${outcome.specifier} needs its optional peer ${missingName}`);
        } else if (outcome.error) {
          problems.push(`${how}('${outcome.specifier}'): ${outcome.error}`);
        } else if (outcome.exports === 0) {
          problems.push(`${how}('${outcome.specifier}'): exports nothing`);
        } else {
          loaded++;
        }
      }
    }
    if (problems.length > 0) throw new StepFailure(`entries that do not load:\n  ${problems.join('\n  ')}`);
    return `${loaded} loaded${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`;
  });

  const cliVersion = packages.find((p) => p.manifest.name === '@cdc/cli')?.manifest.version;
  await step('npx cdc --version', async () => {
    const output = await mustRun(npx, ['--no', '--', 'cdc', '--version'], {
      cwd: project,
      timeoutMs: TIMEOUT.command,
    });
    if (output.trim() !== cliVersion) {
      throw new StepFailure(`expected exactly ${cliVersion} (apps/cli/package.json)`, output);
    }
    return output.trim();
  });

  await step('npx cdc-worker --help', async () => {
    const output = await mustRun(npx, ['--no', '--', 'cdc-worker', '--help'], {
      cwd: project,
      timeoutMs: TIMEOUT.command,
    });
    if (!output.includes('Usage: cdc-worker')) throw new StepFailure('expected its usage', output);
  });

  await step('npx cdc demo', async () => {
    const output = await mustRun(npx, ['--no', '--', 'cdc', 'demo'], {
      cwd: project,
      timeoutMs: TIMEOUT.command,
    });
    const line = output.split('\n').find((l) => l.includes('Both tables are in sync again'));
    if (!line) throw new StepFailure('exited 0 but never said "Both tables are in sync again"', output);
    return line.replace(/^\W+/, '');
  });

  for (const flavor of ['esm', 'cjs']) {
    const file = flavor === 'esm' ? 'smoke.mjs' : 'smoke.cjs';
    await step(
      `node ${file} (${flavor === 'esm' ? 'import' : 'require'}; diff on an embedded PostgreSQL)`,
      async () => {
        await writeFile(join(project, file), smokeScript(flavor));
        const output = await mustRun(node, [file], { cwd: project, timeoutMs: TIMEOUT.command });
        const line = output.split('\n').find((l) => l.startsWith(`${file}: ok`));
        if (!line) throw new StepFailure(`exited 0 but never printed "${file}: ok"`, output);
        return line.slice(`${file}: `.length);
      },
    );
  }
  // Last: the runs above prove the packages work here, where npm hoisted every dependency to the top;
  // this proves each package declares what it imports, so they work wherever npm places them.
  await step('every package declares the packages its dist imports', async () => {
    const undeclared = [];
    for (const pkg of packages) {
      const dir = join(project, 'node_modules', ...pkg.manifest.name.split('/'));
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      const declared = new Set([
        manifest.name,
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
      ]);
      let imported;
      try {
        imported = await importedPackages(dir);
      } catch (error) {
        if (error instanceof StepFailure) throw error;
        undeclared.push(`${manifest.name}: ${error.message.split('\n').slice(0, 4).join(' ')}`);
        continue;
      }
      for (const [name, files] of imported) {
        if (declared.has(name)) continue;
        const where = [...files].sort();
        undeclared.push(
          `${manifest.name} imports ${name}, not in its dependencies (${where.slice(0, 3).join(', ')}` +
            `${where.length > 3 ? `, +${where.length - 3} more` : ''})`,
        );
      }
    }
    if (undeclared.length > 0) throw new StepFailure(`undeclared imports:\n  ${undeclared.join('\n  ')}`);
  });
}

async function removeTemp() {
  if (options.keep) {
    if (cleanup.length > 0) console.log(`\nkept (--keep): ${cleanup.join(', ')}`);
    return;
  }
  await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Ctrl-C or SIGTERM: stop the running command (and its server); the run then fails and cleans up. */
let interrupted;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (interrupted) process.exit(130);
    interrupted = signal;
    console.error(`\n${signal}: stopping`);
    if (current) return killTree(current);
    await removeTemp();
    process.exit(130);
  });
}

let failure;
try {
  await main();
} catch (error) {
  failure = error;
}
await removeTemp();

console.log('\n=== pack-smoke summary ===');
for (const line of results) console.log(line);
if (failure) {
  console.error(`\n✗ ${failure instanceof StepFailure ? failure.message : (failure?.stack ?? failure)}`);
  if (failure.output) {
    console.error('--- command output ---');
    console.error(failure.output.trimEnd());
    console.error('--- end of command output ---');
  }
  if (!options.keep && cleanup.length > 0) console.error('(run with --keep to keep the temp folders)');
  console.error(
    `pack-smoke FAILED after ${seconds(Date.now() - started)}${interrupted ? ` (${interrupted})` : ''}`,
  );
  process.exit(interrupted ? 130 : 1);
}
console.log(`pack-smoke passed in ${seconds(Date.now() - started)}`);
