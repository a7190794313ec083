import { CdcError, type ConnectorDescriptor, type ScanSource } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { ConnectorRegistry } from './connector-registry.js';

/** A descriptor whose opener records the URL it got (no database behind it: the registry never connects). */
function descriptor(name: string, schemes: string[], extra: Partial<ConnectorDescriptor> = {}) {
  const opened: string[] = [];
  const connector: ConnectorDescriptor = {
    name,
    packageName: `@test/${name}`,
    schemes,
    exampleUrl: `${schemes[0]}://user@host/db`,
    passwordVariables: [],
    capabilities: { scan: true, changeSource: false, sink: false, hashPushdown: false },
    openScanSource: (url) => {
      opened.push(url);
      return Promise.resolve({ dialect: name } as ScanSource);
    },
    ...extra,
  };
  return { connector, opened };
}

function caught(fn: () => unknown): CdcError {
  try {
    fn();
  } catch (error) {
    return error as CdcError;
  }
  throw new Error('expected an error');
}

describe('ConnectorRegistry.register', () => {
  it('refuses a scheme another connector holds, naming both providers, and registers nothing of it', () => {
    const registry = new ConnectorRegistry([descriptor('postgres', ['postgres', 'postgresql']).connector]);
    const intruder = descriptor('fake', ['fake', 'postgresql']).connector;
    const error = caught(() => registry.register(intruder, { plugin: './fake.mjs' }));
    expect(error).toBeInstanceOf(CdcError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      'plugin ./fake.mjs: connector "fake" (./fake.mjs) cannot register scheme "postgresql:", connector "postgres" (@test/postgres) already provides it',
    );
    expect(registry.get('fake')).toBeUndefined();
    expect(registry.schemes()).toEqual(['postgres', 'postgresql']);
  });

  it('a plugin whose second descriptor conflicts registers none of them', () => {
    const registry = new ConnectorRegistry([descriptor('postgres', ['postgres']).connector]);
    const fresh = descriptor('fresh', ['fresh']).connector;
    const clash = descriptor('clash', ['postgres']).connector;
    expect(() => registry.registerAll([fresh, clash], { plugin: './two.mjs' })).toThrow(
      /connector "clash" \(\.\/two\.mjs\) cannot register scheme "postgres:"/,
    );
    expect(registry.get('fresh')).toBeUndefined();
    const twins = [descriptor('a', ['same']).connector, descriptor('b', ['same']).connector];
    expect(() => registry.registerAll(twins, { plugin: './twins.mjs' })).toThrow(
      'plugin ./twins.mjs: connector "b" (./twins.mjs) cannot register scheme "same:", connector "a" (./twins.mjs) already provides it',
    );
    expect(registry.schemes()).toEqual(['postgres']);
  });

  it('registering the same descriptor twice is a no-op', () => {
    const { connector } = descriptor('pg', ['pg']);
    const registry = new ConnectorRegistry([connector]);
    registry.register(connector);
    expect(registry.connectors()).toEqual([connector]);
  });

  it.each([
    [{ schemes: [] }, /must list its URL schemes/],
    [{ schemes: ['Bad:'] }, /scheme "Bad:" is not a lower-case URL scheme/],
    [{ capabilities: { scan: true } }, /capabilities.changeSource must be true or false/],
    [{ openScanSource: undefined }, /has no openScanSource/],
    [
      { capabilities: { scan: true, changeSource: true, sink: false, hashPushdown: false } },
      /capabilities.changeSource is true but openChangeSource is absent/,
    ],
    [{ passwordVariables: undefined }, /passwordVariables must be an array/],
  ])('checks the descriptor: %j', (change, message) => {
    const { connector } = descriptor('x', ['x']);
    const broken = { ...connector, ...change } as unknown as ConnectorDescriptor;
    expect(() => new ConnectorRegistry().register(broken, { plugin: './x.mjs' })).toThrow(message);
    expect(() => new ConnectorRegistry().register(broken, { plugin: './x.mjs' })).toThrow(
      /^plugin \.\/x\.mjs: /,
    );
  });
});

describe('ConnectorRegistry.resolve', () => {
  const registry = new ConnectorRegistry([
    descriptor('postgres', ['postgres', 'postgresql']).connector,
    descriptor('sqlserver', ['mssql', 'sqlserver']).connector,
  ]);

  it('finds the descriptor of a scheme, case-insensitively', () => {
    expect(registry.resolve('postgresql://u@h/db', 'source').connector.name).toBe('postgres');
    expect(registry.resolve('MSSQL://u@h/db', 'source').connector.name).toBe('sqlserver');
  });

  it('an unknown scheme lists the registered ones and how to add one, without the password', () => {
    const error = caught(() => registry.resolve('oracle://u:hunter2@h/db', 'source'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe('source URL oracle://u:***@h/db: unsupported scheme "oracle:"');
    expect(error.hint).toBe(
      'use one of postgres://, postgresql://, mssql://, sqlserver://, or load a plugin that provides "oracle:" (--plugin, CDC_PLUGINS, or plugins: in the configuration)',
    );
  });

  it('a malformed URL is named without its password', () => {
    const error = caught(() => registry.resolve('postgres://u:hunter2@:bad:port/db', 'target'));
    expect(error.message).toMatch(/^target URL .* is not a valid URL$/);
    expect(`${error.message} ${error.hint}`).not.toContain('hunter2');
    expect(error.hint).toContain('postgres://user@host/db');
  });

  it('a URL without host shows the example of its engine', () => {
    const error = caught(() => registry.resolve('mssql:///db', 'source'));
    expect(error.message).toBe('source URL mssql:///db has no host');
    expect(error.hint).toBe('write it like mssql://user@host/db');
    expect(registry.resolve('mssql:///db', 'source', { requireHost: false }).connector.name).toBe(
      'sqlserver',
    );
  });

  it('openScanSource hands the URL to the descriptor of its scheme', async () => {
    const { connector, opened } = descriptor('pg', ['pg']);
    const source = await new ConnectorRegistry([connector]).openScanSource('pg://u:pw@h/db');
    expect(source.dialect).toBe('pg');
    expect(opened).toEqual(['pg://u:pw@h/db']);
  });

  it('list() gives every scheme with package, plugin and capabilities', () => {
    const r = new ConnectorRegistry([descriptor('postgres', ['postgres']).connector]);
    r.register(descriptor('alias', ['alias']).connector, { plugin: './alias.mjs' });
    expect(r.list()).toEqual([
      {
        scheme: 'postgres',
        name: 'postgres',
        packageName: '@test/postgres',
        exampleUrl: 'postgres://user@host/db',
        capabilities: { scan: true, changeSource: false, sink: false, hashPushdown: false },
      },
      {
        scheme: 'alias',
        name: 'alias',
        packageName: '@test/alias',
        plugin: './alias.mjs',
        exampleUrl: 'alias://user@host/db',
        capabilities: { scan: true, changeSource: false, sink: false, hashPushdown: false },
      },
    ]);
  });
});
