/**
 * Connection settings for SQL Server: a zod schema (one source of truth for validation, types and docs)
 * and the `mssql://` / `sqlserver://` URL parser the CLI uses for ad-hoc commands.
 */
import { z } from 'zod';
import { CdcError, redactUrl } from '@cdc/core';

const boolText = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => (typeof v === 'boolean' ? v : v === 'true' || v === '1' || v === 'yes'));
const intText = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** How the login authenticates (tedious `authentication.type`). */
export const sqlServerAuthenticationSchema = z.enum([
  'default',
  'ntlm',
  'azure-active-directory-password',
  'azure-active-directory-access-token',
  'azure-active-directory-msi-vm',
  'azure-active-directory-msi-app-service',
  'azure-active-directory-service-principal-secret',
  'azure-active-directory-default',
]);
export type SqlServerAuthentication = z.infer<typeof sqlServerAuthenticationSchema>;

/** Validated SQL Server connection and behaviour settings. */
export const sqlServerConfigSchema = z
  .object({
    /** Host name or IP. */
    host: z.string().min(1),
    /** TCP port; absent with `instanceName` (SQL Server Browser resolves it), else 1433. */
    port: intText(1, 65535).optional(),
    /** Named instance (`host\\instance`); resolved through SQL Server Browser on UDP 1434. */
    instanceName: z.string().min(1).optional(),
    /** Database to open. Default `master` (CDC cannot be enabled there). */
    database: z.string().min(1).default('master'),
    user: z.string().optional(),
    password: z.string().optional(),
    /** NTLM domain (authentication=ntlm). */
    domain: z.string().optional(),
    authentication: sqlServerAuthenticationSchema.default('default'),
    /** Azure AD application (client) id for password, MSI and service-principal authentication. */
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    tenantId: z.string().optional(),
    /** Azure AD access token (authentication=azure-active-directory-access-token). */
    token: z.string().optional(),
    /** TLS: `true` (default; required by Azure SQL), `false`, or `strict` (TDS 8.0, SQL Server 2022+). */
    encrypt: z.union([boolText, z.literal('strict')]).default(true),
    /** Accept any server certificate. Development only. Default `false`. */
    trustServerCertificate: boolText.default(false),
    /** Name expected in the server certificate when it differs from `host`. */
    hostNameInCertificate: z.string().optional(),
    /** `ReadOnly` routes to a readable secondary (Azure Business Critical, availability groups). */
    applicationIntent: z.enum(['ReadWrite', 'ReadOnly']).default('ReadWrite'),
    multiSubnetFailover: boolText.default(false),
    applicationName: z.string().default('cdc'),
    connectTimeoutMs: intText(1000, 600_000).default(15_000),
    /** Per-request timeout; 0 = none (long scans and CDC reads). Default 0. */
    requestTimeoutMs: intText(0, 86_400_000).default(0),
    poolMin: intText(0, 100).default(0),
    poolMax: intText(1, 100).default(4),
    /**
     * `auto` (default): push hashing into SQL Server where every column kind can be reproduced;
     * `pushdown`: same, but fail instead of falling back; `client`: never push down (stream rows and hash here).
     */
    hashing: z.enum(['auto', 'pushdown', 'client']).default('auto'),
    /** Isolation for snapshots and scans needing consistency. Default `snapshot`. */
    snapshotIsolation: z.enum(['snapshot', 'repeatable-read', 'read-committed']).default('snapshot'),
    /** Wait between CDC polls when no new changes exist. Default 1000 ms. */
    pollIntervalMs: intText(10, 3_600_000).default(1000),
    /** Upper bound of source transactions read per poll (bounded through `cdc.lsn_time_mapping`). */
    maxTransactionsPerPoll: intText(1, 1_000_000).default(500),
    /** Rows fetched per round trip from each change table. */
    changePageRows: intText(1, 100_000).default(2000),
  })
  .strict();

/** Input accepted by {@link sqlServerConfigSchema} (strings allowed where URLs carry them). */
export type SqlServerConfigInput = z.input<typeof sqlServerConfigSchema>;
/** Validated settings. */
export type SqlServerConfig = z.output<typeof sqlServerConfigSchema>;

const QUERY_KEYS: Record<string, keyof SqlServerConfigInput> = {
  encrypt: 'encrypt',
  trustservercertificate: 'trustServerCertificate',
  instancename: 'instanceName',
  authentication: 'authentication',
  clientid: 'clientId',
  clientsecret: 'clientSecret',
  tenantid: 'tenantId',
  token: 'token',
  domain: 'domain',
  hostnameincertificate: 'hostNameInCertificate',
  applicationintent: 'applicationIntent',
  multisubnetfailover: 'multiSubnetFailover',
  applicationname: 'applicationName',
  connecttimeout: 'connectTimeoutMs',
  connecttimeoutms: 'connectTimeoutMs',
  requesttimeout: 'requestTimeoutMs',
  requesttimeoutms: 'requestTimeoutMs',
  poolmin: 'poolMin',
  poolmax: 'poolMax',
  hashing: 'hashing',
  snapshotisolation: 'snapshotIsolation',
  pollintervalms: 'pollIntervalMs',
  maxtransactionsperpoll: 'maxTransactionsPerPoll',
  changepagerows: 'changePageRows',
  database: 'database',
  user: 'user',
  password: 'password',
};

/** Formats zod issues as `field: message` lines for CdcError messages. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates a config object, turning zod issues into a `CONFIG_INVALID` CdcError. */
export function parseSqlServerConfig(
  input: unknown,
  where = 'SQL Server connection settings',
): SqlServerConfig {
  const result = sqlServerConfigSchema.safeParse(input);
  if (!result.success) {
    throw new CdcError('CONFIG_INVALID', `Invalid ${where}: ${describeIssues(result.error)}.`, {
      hint: 'See docs/sources/sqlserver.md for every option.',
    });
  }
  const config = result.data;
  if (config.authentication === 'azure-active-directory-access-token' && !config.token) {
    throw new CdcError(
      'CONFIG_INVALID',
      `Invalid ${where}: authentication=${config.authentication} needs token.`,
    );
  }
  if (config.authentication === 'azure-active-directory-service-principal-secret') {
    const missing = (['clientId', 'clientSecret', 'tenantId'] as const).filter((k) => !config[k]);
    if (missing.length > 0) {
      throw new CdcError(
        'CONFIG_INVALID',
        `Invalid ${where}: authentication=${config.authentication} needs ${missing.join(', ')}.`,
      );
    }
  }
  if (config.poolMin > config.poolMax) {
    throw new CdcError(
      'CONFIG_INVALID',
      `Invalid ${where}: poolMin ${config.poolMin} > poolMax ${config.poolMax}.`,
    );
  }
  return config;
}

/** True for Azure SQL Database / Managed Instance host names (TLS always on). */
export function isAzureSqlHost(host: string): boolean {
  return /\.(database\.windows\.net|database\.azure\.com|database\.chinacloudapi\.cn|database\.usgovcloudapi\.net)$/i.test(
    host,
  );
}

/**
 * Parses `mssql://user:password@host:port/database?encrypt=true&trustServerCertificate=false&instanceName=…`
 * (also `sqlserver://`). A named instance may be written `host\instance` percent-encoded or as the
 * `instanceName` parameter. Every query parameter is an option of {@link sqlServerConfigSchema}
 * (case-insensitive). Throws `CONFIG_INVALID` naming the offending part, never echoing the password.
 */
export function parseSqlServerUrl(url: string): SqlServerConfig {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CdcError('CONFIG_INVALID', `"${redactUrl(url)}" is not a valid URL.`, {
      hint: 'Write mssql://user:password@host:1433/database?trustServerCertificate=true',
    });
  }
  if (u.protocol !== 'mssql:' && u.protocol !== 'sqlserver:') {
    throw new CdcError('CONFIG_INVALID', `Unsupported scheme "${u.protocol}" in ${redactUrl(url)}.`, {
      hint: 'SQL Server URLs start with mssql:// or sqlserver://',
    });
  }
  if (!u.hostname) {
    throw new CdcError('CONFIG_INVALID', `No host in ${redactUrl(url)}.`, {
      hint: 'Write mssql://user:password@host:1433/database',
    });
  }
  const input: Record<string, unknown> = {};
  let host = decodeURIComponent(u.hostname);
  const backslash = host.indexOf('\\');
  if (backslash > 0) {
    input.instanceName = host.slice(backslash + 1);
    host = host.slice(0, backslash);
  }
  input.host = host.replace(/^\[(.*)\]$/, '$1');
  if (u.port) input.port = u.port;
  if (u.username) input.user = decodeURIComponent(u.username);
  if (u.password) input.password = decodeURIComponent(u.password);
  const path = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (path.includes('/')) {
    throw new CdcError('CONFIG_INVALID', `The path of ${redactUrl(url)} must be just the database name.`);
  }
  if (path) input.database = path;
  for (const [rawKey, value] of u.searchParams) {
    const key = QUERY_KEYS[rawKey.toLowerCase()];
    if (!key) {
      throw new CdcError('CONFIG_INVALID', `Unknown parameter "${rawKey}" in ${redactUrl(url)}.`, {
        hint: `Known parameters: ${[...new Set(Object.values(QUERY_KEYS))].join(', ')}.`,
      });
    }
    input[key] = value;
  }
  if (input.port !== undefined && input.instanceName !== undefined) {
    throw new CdcError(
      'CONFIG_INVALID',
      `Give either a port or instanceName in ${redactUrl(url)}, not both.`,
      {
        hint: 'A named instance is found through SQL Server Browser; a port connects directly.',
      },
    );
  }
  if (isAzureSqlHost(String(input.host)) && String(input.encrypt ?? 'true') === 'false') {
    throw new CdcError(
      'CONFIG_INVALID',
      `Azure SQL requires TLS: remove encrypt=false from ${redactUrl(url)}.`,
    );
  }
  return parseSqlServerConfig(input, `SQL Server URL ${redactUrl(url)}`);
}
