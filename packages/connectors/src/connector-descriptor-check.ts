/** Checks a {@link ConnectorDescriptor} before it is registered, so a broken plugin fails by name. */
import { CdcError, type ConnectorDescriptor } from '@cdc/core';

const SCHEME = /^[a-z][a-z0-9+.-]*$/;
const CAPABILITIES = ['scan', 'changeSource', 'sink', 'hashPushdown'] as const;
const WRITE_AN_ADAPTER = 'see docs/contributing.md, "Write an adapter"';

/**
 * Checks that `value` is a usable {@link ConnectorDescriptor}; throws `CONFIG_INVALID` naming `where`
 * (the plugin, or the package) and the first thing wrong.
 */
export function assertConnectorDescriptor(
  value: unknown,
  where: string,
): asserts value is ConnectorDescriptor {
  const fail = (what: string): never => {
    throw new CdcError('CONFIG_INVALID', `${where}: ${what}`, { hint: WRITE_AN_ADAPTER });
  };
  if (typeof value !== 'object' || value === null) fail('a connector descriptor must be an object');
  const d = value as Record<string, unknown>;
  for (const key of ['name', 'packageName', 'exampleUrl'] as const) {
    if (typeof d[key] !== 'string' || d[key] === '')
      fail(`the descriptor's ${key} must be a non-empty string`);
  }
  const name = d.name as string;
  if (!Array.isArray(d.schemes) || d.schemes.length === 0) {
    fail(`connector "${name}" must list its URL schemes (schemes: ['myengine'])`);
  }
  for (const scheme of d.schemes as unknown[]) {
    if (typeof scheme !== 'string' || !SCHEME.test(scheme)) {
      fail(
        `connector "${name}": scheme ${JSON.stringify(scheme)} is not a lower-case URL scheme (letters, digits, + . -, without the colon)`,
      );
    }
  }
  if (!Array.isArray(d.passwordVariables) || d.passwordVariables.some((v) => typeof v !== 'string')) {
    fail(`connector "${name}": passwordVariables must be an array of variable names (may be empty)`);
  }
  const caps = d.capabilities as Record<string, unknown> | undefined;
  if (typeof caps !== 'object' || caps === null) fail(`connector "${name}" declares no capabilities`);
  for (const flag of CAPABILITIES) {
    if (typeof caps![flag] !== 'boolean')
      fail(`connector "${name}": capabilities.${flag} must be true or false`);
  }
  if (typeof d.openScanSource !== 'function') fail(`connector "${name}" has no openScanSource(url, options)`);
  for (const [flag, opener] of [
    ['changeSource', 'openChangeSource'],
    ['sink', 'openSink'],
  ] as const) {
    const has = typeof d[opener] === 'function';
    if (caps![flag] !== has) {
      fail(
        `connector "${name}": capabilities.${flag} is ${String(caps![flag])} but ${opener} is ${has ? 'present' : 'absent'}`,
      );
    }
  }
  for (const optional of ['defaultSchema'] as const) {
    if (d[optional] !== undefined && typeof d[optional] !== 'function') {
      fail(`connector "${name}": ${optional} must be a function`);
    }
  }
}
