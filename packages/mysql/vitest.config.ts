import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import { defineCdcTestConfig } from '../../tools/vitest.shared';

// PostgreSQL (the diff tests' target) from the shared setup, plus one private MariaDB per run.
const base = defineCdcTestConfig({ postgres: true });
const mariadb = fileURLToPath(new URL('./test/mariadb-global-setup.ts', import.meta.url));

export default mergeConfig(base, { test: { globalSetup: [mariadb] } });
