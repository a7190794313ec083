import { defineCdcTestConfig } from '../../tools/vitest.shared';

export default defineCdcTestConfig();
