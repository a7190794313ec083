import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';
import { defineCdcTestConfig } from '../../tools/vitest.shared';

const config = defineCdcTestConfig({ postgres: true });
const globalSetup = config.test?.globalSetup ?? [];

// CLI tests spawn the built binary: build it once, before any file runs.
const withBuild: ViteUserConfig = {
  ...config,
  test: {
    ...config.test,
    globalSetup: [
      ...(Array.isArray(globalSetup) ? globalSetup : [globalSetup]),
      fileURLToPath(new URL('./test/build-cli.global.ts', import.meta.url)),
    ],
  },
};

export default withBuild;
