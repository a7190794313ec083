/**
 * The one tsup configuration every cdc package builds with: ESM + CJS + .d.ts/.d.cts from
 * `src/index.ts`, Node 20 target, dependencies left external. Apps add their bin entry.
 */
import type { Options } from 'tsup';

export interface CdcBuildOptions {
  /** Entry points relative to the package root. Default `{ index: 'src/index.ts' }`. */
  entry?: Record<string, string>;
  /** Build only ESM (apps' executables). Default `false`. */
  esmOnly?: boolean;
  /** Emit type declarations. Default `true`. */
  dts?: boolean;
  /** Prepend `#!/usr/bin/env node` to every output (CLI binaries). Default `false`. */
  shebang?: boolean;
}

export function defineCdcConfig(options: CdcBuildOptions = {}): Options {
  return {
    entry: options.entry ?? { index: 'src/index.ts' },
    format: options.esmOnly ? ['esm'] : ['esm', 'cjs'],
    dts: options.dts ?? true,
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    outDir: 'dist',
    tsconfig: 'tsconfig.lib.json',
    ...(options.shebang ? { banner: { js: '#!/usr/bin/env node' } } : {}),
  };
}
