/**
 * URL scheme registry: `postgres://` → @cdc/postgres, `mssql://` → @cdc/sqlserver (tedious injected),
 * `scylla://` → @cdc/scylla (cassandra-driver injected). Adapters are imported lazily so a missing
 * optional driver only matters when its scheme is used. Passwords come from (first wins) the
 * `--<role>-password` reference, the URL, `CDC_<ROLE>_PASSWORD`, then the engine's usual variable.
 */
import { CdcError, redactUrl, resolveSecret, defaultSecretResolvers, type ScanSource } from '@cdc/core';
import { classifyError } from './cli-error.js';
import type { Redactor } from './redact.js';

interface SchemeEntry {
  dialect: 'postgres' | 'sqlserver' | 'scylla';
  /** Engine-specific password variables, checked after `CDC_<ROLE>_PASSWORD`. */
  passwordVariables: readonly string[];
  example: string;
  open(url: string): Promise<ScanSource>;
}

async function openPostgres(url: string): Promise<ScanSource> {
  const { connectPostgres } = await import('@cdc/postgres');
  return connectPostgres({ url });
}

/** Opens a SQL Server source (`mssql://`, `sqlserver://`); tedious, an optional peer, loads lazily. */
async function openSqlServer(url: string): Promise<ScanSource> {
  const { connectSqlServer, loadTedious } = await import('@cdc/sqlserver');
  return connectSqlServer({ connection: url, tedious: await loadTedious() });
}

/** Opens a ScyllaDB/Cassandra source; cassandra-driver, an optional peer, loads lazily. */
async function openScylla(url: string): Promise<ScanSource> {
  const { connectScylla, loadCassandraDriver } = await import('@cdc/scylla');
  return connectScylla({ url, driver: await loadCassandraDriver() });
}

const registry: Record<string, SchemeEntry> = {
  postgres: {
    dialect: 'postgres',
    passwordVariables: ['PGPASSWORD'],
    example: 'postgres://user@host:5432/db',
    open: openPostgres,
  },
  postgresql: {
    dialect: 'postgres',
    passwordVariables: ['PGPASSWORD'],
    example: 'postgresql://user@host:5432/db',
    open: openPostgres,
  },
  mssql: {
    dialect: 'sqlserver',
    passwordVariables: ['MSSQL_PASSWORD', 'SQLCMDPASSWORD'],
    example: 'mssql://user@host:1433/db',
    open: openSqlServer,
  },
  sqlserver: {
    dialect: 'sqlserver',
    passwordVariables: ['MSSQL_PASSWORD', 'SQLCMDPASSWORD'],
    example: 'sqlserver://user@host:1433/db',
    open: openSqlServer,
  },
  scylla: {
    dialect: 'scylla',
    passwordVariables: ['SCYLLA_PASSWORD', 'CASSANDRA_PASSWORD'],
    example: 'scylla://user@host:9042/keyspace?dc=dc1',
    open: openScylla,
  },
  cassandra: {
    dialect: 'scylla',
    passwordVariables: ['SCYLLA_PASSWORD', 'CASSANDRA_PASSWORD'],
    example: 'cassandra://user@host:9042/keyspace?dc=dc1',
    open: openScylla,
  },
};

/** URL schemes `cdc` understands. */
export function supportedSchemes(): string[] {
  return Object.keys(registry);
}

/** Options of {@link connectUrl}. */
export interface ConnectOptions {
  /** What this side is called in messages and variables (`source`, `target`, a connection name). */
  role: string;
  /** A secret reference (`env:NAME`, `file:/path`) or, from configuration files, an already resolved password. */
  password?: string;
  /** True when `password` is already resolved (configuration files); CLI flags must be references. */
  passwordResolved?: boolean;
  env: Readonly<Record<string, string | undefined>>;
  redactor: Redactor;
}

/** An open connection and how to name it in messages. */
export interface OpenConnection {
  adapter: ScanSource;
  dialect: string;
  /** The URL without its password. */
  display: string;
}

/** Parses and checks a connection URL; throws `INVALID_ARGUMENT` with an example of the right form. */
export function parseConnectionUrl(url: string, role: string): { url: URL; entry: SchemeEntry } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `${role} URL ${JSON.stringify(redactUrl(url))} is not a valid URL`,
      {
        hint: `write it like ${registry.postgres!.example} (percent-encode special characters in user and password)`,
      },
    );
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const entry = registry[scheme];
  if (!entry) {
    throw new CdcError('INVALID_ARGUMENT', `${role} URL ${redactUrl(url)}: unsupported scheme "${scheme}:"`, {
      hint: `use one of ${supportedSchemes()
        .map((s) => `${s}://`)
        .join(', ')}`,
    });
  }
  if (!parsed.hostname) {
    throw new CdcError('INVALID_ARGUMENT', `${role} URL ${redactUrl(url)} has no host`, {
      hint: `write it like ${entry.example}`,
    });
  }
  return { url: parsed, entry };
}

/** The password to use, by precedence; registers it with the redactor. */
export async function resolvePassword(
  url: URL,
  entry: SchemeEntry,
  options: ConnectOptions,
): Promise<string | undefined> {
  let password: string | undefined;
  if (options.password !== undefined && options.password !== '') {
    if (options.passwordResolved) {
      password = options.password;
    } else {
      const resolvers = defaultSecretResolvers(options.env);
      const resolved = await resolveSecret(options.password, resolvers);
      if (resolved === options.password) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `--${options.role}-password must be a reference, not the password itself`,
          {
            hint: `write env:NAME or file:/path so the password stays out of the process list and shell history`,
          },
        );
      }
      password = resolved;
    }
  } else if (url.password) {
    password = decodeURIComponent(url.password);
  } else {
    const variables = [
      `CDC_${options.role.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`,
      ...entry.passwordVariables,
    ];
    password = variables.map((v) => options.env[v]).find((v) => v !== undefined && v !== '');
  }
  options.redactor.add(password);
  return password;
}

/** Opens a connection for a URL, mapping driver failures to one actionable `CdcError`. */
export async function connectUrl(rawUrl: string, options: ConnectOptions): Promise<OpenConnection> {
  const { url, entry } = parseConnectionUrl(rawUrl, options.role);
  const password = await resolvePassword(url, entry, options);
  if (password !== undefined) url.password = encodeURIComponent(password);
  const display = redactUrl(rawUrl);
  try {
    const adapter = await entry.open(url.toString());
    return { adapter, dialect: entry.dialect, display };
  } catch (error) {
    throw classifyError(error, `${options.role} ${display}`);
  }
}
