import { defineConfig } from 'tsup';
import { defineCdcConfig } from '../../tools/tsup.shared';

export default defineConfig({
  ...defineCdcConfig({
    // The diff engine's hashing worker threads run dist/hash-worker.js (found next to the entry module).
    entry: { index: 'src/index.ts', 'hash-worker': 'src/hash-worker.ts' },
  }),
  // `import.meta.url` in the CommonJS build (where the worker script is looked up).
  shims: true,
});
