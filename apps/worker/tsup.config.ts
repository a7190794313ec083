import { defineConfig } from 'tsup';
import { defineCdcConfig } from '../../tools/tsup.shared';

export default defineConfig(
  defineCdcConfig({
    entry: { index: 'src/index.ts', 'cdc-worker': 'src/bin.ts' },
    esmOnly: true,
    shebang: true,
  }),
);
