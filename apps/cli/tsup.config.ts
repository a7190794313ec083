import { defineConfig } from 'tsup';
import { defineCdcConfig } from '../../tools/tsup.shared';

const base = defineCdcConfig({
  entry: { index: 'src/index.ts', cdc: 'src/bin.ts' },
  esmOnly: true,
  shebang: true,
});

// The executable bundles the workspace's @cdc/* packages from their TypeScript sources, so `cdc` (and
// `npm run demo`) runs from one file without building every library first; third-party packages stay
// external and are resolved from node_modules as usual.
export default defineConfig({
  ...base,
  noExternal: [/^@cdc\//],
  // Chunks keep lazily imported adapters, drivers and the embedded server out of every start-up.
  splitting: true,
  external: [/^(?!@cdc\/|\.|\/)/],
  esbuildOptions(options) {
    options.conditions = ['@cdc/source'];
  },
});
