/**
 * One endpoint vocabulary for both modes: a kafka-connect pipeline may name `connections:` entries as
 * its `source` and `target`, exactly like an embedded pipeline. The Debezium fields (host, port, user,
 * database, TLS) come from the connection URL; its password becomes a config-provider reference when it
 * is a cdc secret reference (`env:`, `file:`, `vault:`), so the value stays out of cdc and the REST API.
 */
import { CdcError, redactUrl } from '@cdc/core';
import type { ConfigProviderRef, SecretValue } from './kafka-connect-config.js';

/** A `connections:` entry as written in the configuration (password possibly a secret reference). */
export interface ConnectionEntry {
  url: string;
  password?: string;
}

/** Pipeline keys that name connections and embedded-style tables, replaced by `source`/`target` objects. */
const CONSUMED = ['source', 'target', 'tables', 'targetSchema', 'sourceOptions', 'targetOptions'] as const;

const SQLSERVER_SCHEMES = new Set(['mssql', 'sqlserver']);
const SCYLLA_SCHEMES = new Set(['scylla', 'cassandra', 'scylladb']);
const POSTGRES_SCHEMES = new Set(['postgres', 'postgresql']);

function invalid(where: string, message: string, hint?: string): CdcError {
  return new CdcError('CONFIG_INVALID', `${where}: ${message}`, hint ? { hint } : {});
}

/**
 * A connection password as a Kafka Connect secret: `env:NAME` → `${env:NAME}`, `file:/dir/name` →
 * `${dir:/dir:name}` (DirectoryConfigProvider: the whole file), `vault:<mount>/<path>#<key>` →
 * `${vault:<mount>/data/<path>:<key>}` (KV v2, as the Vault provider reads it); anything else is a
 * resolved value, placed whole. References with fallbacks (`a || b`) or a version cannot be expressed.
 */
export function connectionSecret(value: string, where: string): SecretValue {
  const ref = /^(env|file|vault):(.+)$/.exec(value.trim());
  if (!ref) return value;
  const [, scheme, rest] = ref as unknown as [string, 'env' | 'file' | 'vault', string];
  if (/\s\|\|\s/.test(value)) {
    throw invalid(
      where,
      'a secret reference with fallbacks (a || b) cannot be handed to Kafka Connect',
      'write one env:, file: or vault: reference; Kafka Connect resolves it on the worker',
    );
  }
  if (scheme === 'env') return { provider: 'env', key: rest } satisfies ConfigProviderRef;
  if (scheme === 'file') {
    const slash = rest.lastIndexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      throw invalid(where, `file:${rest} must be an absolute path to a file`, 'write file:/run/secrets/name');
    }
    return { provider: 'dir', path: rest.slice(0, slash), key: rest.slice(slash + 1) };
  }
  const m = /^([^/#?]+)\/([^#?]+)#(.+)$/.exec(rest);
  if (!m) {
    throw invalid(
      where,
      `vault:${rest} is not a vault:<mount>/<path>#<key> reference without ?version`,
      'Kafka Connect reads the latest version; write vault:secret/cdc/db#password',
    );
  }
  return { provider: 'vault', path: `${m[1]}/data/${m[2]}`, key: m[3]! };
}

function parseUrl(url: string, where: string): URL {
  try {
    return new URL(url);
  } catch {
    throw invalid(where, `${JSON.stringify(redactUrl(url))} is not a valid URL`);
  }
}

function decoded(value: string): string {
  return decodeURIComponent(value);
}

/** The password of a connection: its `password` (reference or value), else the URL's. */
function passwordOf(connection: ConnectionEntry, url: URL, where: string): SecretValue | undefined {
  if (connection.password !== undefined && connection.password !== '') {
    return connectionSecret(connection.password, `${where}.password`);
  }
  return url.password ? decoded(url.password) : undefined;
}

function databaseOf(url: URL, where: string): string {
  const database = decoded(url.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) {
    throw invalid(where, `${redactUrl(url.toString())} must name one database in its path`);
  }
  return database;
}

function queryParam(url: URL, ...names: string[]): string | undefined {
  for (const [key, value] of url.searchParams) {
    if (names.includes(key.toLowerCase())) return value;
  }
  return undefined;
}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return /^(true|yes|1)$/i.test(value);
}

/** The user and password the connector logs in with; both required. */
function credentials(
  connection: ConnectionEntry,
  url: URL,
  where: string,
  example: string,
): { user: string; password: SecretValue } {
  const user = decoded(url.username);
  if (!user) throw invalid(where, `${redactUrl(connection.url)} names no user`, `write ${example}`);
  const password = passwordOf(connection, url, where);
  if (password === undefined) {
    throw invalid(
      where,
      'connection has no password',
      'set password: env:NAME, file:/path or vault:… on the connection',
    );
  }
  return { user, password };
}

/** The Debezium SQL Server source fields of an `mssql://` connection. */
function sqlServerSource(connection: ConnectionEntry, url: URL, where: string): Record<string, unknown> {
  const { user, password } = credentials(connection, url, where, 'mssql://user@host:1433/db');
  const encrypt = bool(queryParam(url, 'encrypt'));
  const trust = bool(queryParam(url, 'trustservercertificate'));
  return {
    type: 'sqlserver',
    host: decoded(url.hostname).replace(/^\[(.*)\]$/, '$1'),
    ...(url.port ? { port: Number(url.port) } : {}),
    database: databaseOf(url, where),
    user,
    password,
    ...(encrypt !== undefined ? { encrypt } : {}),
    ...(trust !== undefined ? { trustServerCertificate: trust } : {}),
  };
}

/** The ScyllaDB CDC source fields of a `scylla://h1,h2:9042/ks?localDataCenter=dc1` connection. */
function scyllaSource(connection: ConnectionEntry, where: string): Record<string, unknown> {
  const m = /^[a-z]+:\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/[^?#]*)?(?:\?([^#]*))?$/i.exec(connection.url.trim());
  if (!m || !m[2]) {
    throw invalid(
      where,
      `${redactUrl(connection.url)} names no host`,
      'write scylla://user@host1:9042,host2/keyspace',
    );
  }
  const [, userInfo = '', hosts, query = ''] = m;
  const colon = userInfo.indexOf(':');
  const user = decoded(colon < 0 ? userInfo : userInfo.slice(0, colon));
  const params = new URLSearchParams(query);
  const password =
    connection.password !== undefined && connection.password !== ''
      ? connectionSecret(connection.password, `${where}.password`)
      : colon >= 0
        ? decoded(userInfo.slice(colon + 1))
        : undefined;
  const localDc = params.get('localDataCenter') ?? params.get('local_dc') ?? params.get('dc') ?? undefined;
  const consistency = params.get('consistency')?.toUpperCase();
  return {
    type: 'scylla',
    contactPoints: hosts!
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '')
      .map((h) => (/:\d+$/.test(h) ? h : `${h}:9042`)),
    ...(user ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(localDc ? { localDc } : {}),
    ...(consistency ? { consistencyLevel: consistency } : {}),
  };
}

/** The Debezium JDBC sink's PostgreSQL fields of a `postgres://` connection. */
function postgresTarget(connection: ConnectionEntry, url: URL, where: string): Record<string, unknown> {
  const { user, password } = credentials(connection, url, where, 'postgres://user@host:5432/db');
  const sslmode = queryParam(url, 'sslmode');
  return {
    host: decoded(url.hostname).replace(/^\[(.*)\]$/, '$1'),
    ...(url.port ? { port: Number(url.port) } : {}),
    database: databaseOf(url, where),
    user,
    password,
    ...(sslmode ? { sslmode } : {}),
  };
}

function schemeOf(url: string): string {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
}

/** Embedded-style tables as Kafka Connect table references (`{source, target}` in the target schema). */
function tableRefs(tables: unknown, schema: string | undefined, where: string): unknown {
  if (!Array.isArray(tables)) return tables;
  return tables.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) return entry;
    const { source, target, ...rest } = entry as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) {
      throw invalid(
        `${where}.tables[${i}]`,
        `${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} not supported by kafka-connect pipelines`,
        'Kafka Connect copies whole rows; keep source and target only, or use mode: embedded',
      );
    }
    if (typeof target !== 'string') return { source, ...(target !== undefined ? { target } : {}) };
    const dot = target.lastIndexOf('.');
    if (dot >= 0 && target.slice(0, dot) !== (schema ?? 'public')) {
      throw invalid(
        `${where}.tables[${i}].target`,
        `"${target}" is outside the target schema "${schema ?? 'public'}"; the JDBC sink writes every table into one schema`,
        'set targetSchema on the pipeline and name the table without a schema',
      );
    }
    return { source, target: dot >= 0 ? target.slice(dot + 1) : target };
  });
}

/**
 * A kafka-connect pipeline whose `source` and/or `target` name connections, with them replaced by the
 * Debezium endpoint objects: `tables` and `sourceOptions` (any other source field, e.g. `snapshotMode`)
 * go into the source, `targetSchema` and `targetOptions` into the target. Inline objects are left alone.
 * Throws `CONFIG_INVALID` naming the path (`pipelines[0].source`) for an unknown connection, a URL of an
 * engine Kafka Connect does not serve here, or a missing user or password.
 */
export function expandConnectionReferences(
  pipeline: Record<string, unknown>,
  connections: Readonly<Record<string, ConnectionEntry>>,
  where: string,
): Record<string, unknown> {
  const { source, target } = pipeline;
  if (typeof source !== 'string' && typeof target !== 'string') return pipeline;
  const connection = (role: 'source' | 'target', name: string) => {
    const c = connections[name];
    if (!c) {
      throw invalid(
        `${where}.${role}`,
        `no connection named "${name}"`,
        `define it under connections: (known: ${Object.keys(connections).join(', ') || 'none'})`,
      );
    }
    return c;
  };
  const out: Record<string, unknown> = { ...pipeline };
  for (const key of CONSUMED) delete out[key];
  const schema = typeof pipeline.targetSchema === 'string' ? pipeline.targetSchema : undefined;
  if (typeof source === 'string') {
    const c = connection('source', source);
    const at = `${where}.source ("${source}")`;
    const scheme = schemeOf(c.url);
    const endpoint = SQLSERVER_SCHEMES.has(scheme)
      ? sqlServerSource(c, parseUrl(c.url, at), at)
      : SCYLLA_SCHEMES.has(scheme)
        ? scyllaSource(c, at)
        : undefined;
    if (!endpoint) {
      throw invalid(
        at,
        `${redactUrl(c.url)} is not a Kafka Connect source here (SQL Server: mssql://, ScyllaDB: scylla://)`,
        'use mode: embedded for other engines',
      );
    }
    out.source = {
      ...endpoint,
      ...(pipeline.tables !== undefined ? { tables: tableRefs(pipeline.tables, schema, where) } : {}),
      ...(typeof pipeline.sourceOptions === 'object' && pipeline.sourceOptions !== null
        ? pipeline.sourceOptions
        : {}),
    };
  } else {
    out.source = source;
    if (pipeline.tables !== undefined || pipeline.sourceOptions !== undefined) {
      throw invalid(
        where,
        'tables and sourceOptions go with source: <connection name>; an inline source lists its own tables',
      );
    }
  }
  if (typeof target === 'string') {
    const c = connection('target', target);
    const at = `${where}.target ("${target}")`;
    if (!POSTGRES_SCHEMES.has(schemeOf(c.url))) {
      throw invalid(
        at,
        `${redactUrl(c.url)} is not PostgreSQL; the JDBC sink writes into postgres:// targets`,
      );
    }
    out.target = {
      ...postgresTarget(c, parseUrl(c.url, at), at),
      ...(schema ? { schema } : {}),
      ...(typeof pipeline.targetOptions === 'object' && pipeline.targetOptions !== null
        ? pipeline.targetOptions
        : {}),
    };
  } else {
    out.target = target;
    if (schema !== undefined || pipeline.targetOptions !== undefined) {
      throw invalid(
        where,
        'targetSchema and targetOptions go with target: <connection name>; set schema in the inline target',
      );
    }
  }
  return out;
}
