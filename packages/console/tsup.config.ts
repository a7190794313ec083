import { defineConfig } from 'tsup';
import { defineCdcConfig } from '../../tools/tsup.shared';

export default defineConfig(defineCdcConfig());
