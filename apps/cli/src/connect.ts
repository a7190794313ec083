/**
 * Opening a connection named by a URL: the scheme's adapter comes from the connector registry
 * (@cdc/connectors: built-in adapters plus plugins), whose openers load their drivers lazily. Passwords
 * come from (first wins) the `--<role>-password` reference, the URL, `CDC_<ROLE>_PASSWORD`, then the
 * engine's usual variables (the descriptor's `passwordVariables`).
 */
import type { ConnectorRegistry } from '@cdc/connectors';
import {
  defaultSecretResolvers,
  redactUrl,
  resolveSecret,
  CdcError,
  type ConnectorDescriptor,
  type ScanSource,
} from '@cdc/core';
import { classifyError } from './cli-error.js';
import type { Redactor } from './redact.js';

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
  /** Where the URL's scheme is looked up (`await ctx.connectors()`). */
  connectors: ConnectorRegistry;
}

/** An open connection and how to name it in messages. */
export interface OpenConnection {
  adapter: ScanSource;
  /** The opened adapter's dialect (`postgres` also for a plugin scheme over the PostgreSQL adapter). */
  dialect: string;
  /** The URL without its password. */
  display: string;
}

/**
 * Parses and checks a connection URL; throws `INVALID_ARGUMENT` (bad URL, unsupported scheme listing
 * the registered ones, no host) with an example of the right form.
 */
export function parseConnectionUrl(
  connectors: ConnectorRegistry,
  url: string,
  role: string,
): { url: URL; entry: ConnectorDescriptor } {
  const { url: parsed, connector } = connectors.resolve(url, role);
  return { url: parsed, entry: connector };
}

/** The password to use, by precedence; registers it with the redactor. */
export async function resolvePassword(
  url: URL,
  entry: Pick<ConnectorDescriptor, 'passwordVariables'>,
  options: Omit<ConnectOptions, 'connectors'>,
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
  const { url, entry } = parseConnectionUrl(options.connectors, rawUrl, options.role);
  const password = await resolvePassword(url, entry, options);
  if (password !== undefined) url.password = encodeURIComponent(password);
  const display = redactUrl(rawUrl);
  try {
    const adapter = await entry.openScanSource(url.toString());
    return { adapter, dialect: adapter.dialect, display };
  } catch (error) {
    throw classifyError(error, `${options.role} ${display}`);
  }
}
