import { defineConfig } from 'tsup';
import { defineCdcConfig } from '../../tools/tsup.shared';

export default defineConfig(
  defineCdcConfig({
    entry: { index: 'src/index.ts', 'global-setup': 'src/global-setup.ts', embedded: 'src/embedded.ts' },
  }),
);
