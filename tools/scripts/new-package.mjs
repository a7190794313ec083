#!/usr/bin/env node
// Scaffolds a workspace project with the conventions every cdc package shares (manifest with an exports
// map and the @cdc/source condition, tsconfig, tsup and vitest configs). Usage:
//   node tools/scripts/new-package.mjs packages/<name> "<one-line description>" [--app <bin>]
// Existing files are never overwritten.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [dir, description, flag, bin] = process.argv.slice(2);
if (!dir || !description) {
  console.error('usage: node tools/scripts/new-package.mjs packages/<name> "<description>" [--app <bin>]');
  process.exit(2);
}
const isApp = flag === '--app';
const short = basename(dir);
const name = `@cdc/${short}`;

function write(file, content) {
  const path = join(dir, file);
  if (existsSync(path)) return;
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
}

const scripts = {
  build: 'tsup',
  test: 'vitest run',
  typecheck: 'tsc -p tsconfig.json --noEmit',
  lint: 'eslint .',
};
const libExports = {
  '.': {
    '@cdc/source': './src/index.ts',
    import: { types: './dist/index.d.ts', default: './dist/index.js' },
    require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
  },
  './package.json': './package.json',
};
write('package.json', {
  name,
  version: '0.1.0',
  description,
  license: 'Apache-2.0',
  type: 'module',
  ...(isApp ? { bin: { [bin]: `./dist/${bin}.js` } } : { sideEffects: false }),
  ...(isApp
    ? {
        exports: {
          '.': {
            '@cdc/source': './src/index.ts',
            import: { types: './dist/index.d.ts', default: './dist/index.js' },
          },
          './package.json': './package.json',
        },
      }
    : {
        main: './dist/index.cjs',
        module: './dist/index.js',
        types: './dist/index.d.cts',
        exports: libExports,
      }),
  files: ['dist', 'src', '!src/**/*.test.ts'],
  engines: { node: '>=20.19' },
  repository: { type: 'git', url: 'git+https://github.com/cdc-dev/cdc.git', directory: dir },
  publishConfig: { access: 'public' },
  scripts,
});
write('tsconfig.json', {
  extends: '../../tsconfig.base.json',
  include: ['src', 'test', '*.config.ts'],
});
write('tsconfig.lib.json', {
  extends: '../../tsconfig.base.json',
  compilerOptions: { noEmit: false, rootDir: 'src' },
  include: ['src'],
  exclude: ['src/**/*.test.ts'],
});
write(
  'tsup.config.ts',
  isApp
    ? `import { defineConfig } from 'tsup';\nimport { defineCdcConfig } from '../../tools/tsup.shared';\n\nexport default defineConfig(\n  defineCdcConfig({ entry: { index: 'src/index.ts', '${bin}': 'src/bin.ts' }, esmOnly: true, shebang: true }),\n);\n`
    : `import { defineConfig } from 'tsup';\nimport { defineCdcConfig } from '../../tools/tsup.shared';\n\nexport default defineConfig(defineCdcConfig());\n`,
);
write(
  'vitest.config.ts',
  `import { defineCdcTestConfig } from '../../tools/vitest.shared';\n\nexport default defineCdcTestConfig();\n`,
);
write('README.md', `# ${name}\n\n${description}\n`);
console.log(`scaffolded ${name} in ${dir}`);
