/**
 * Connection and behaviour options of the ScyllaDB source, and the `scylla://` / `cassandra://` URL form
 * the CLI accepts. One zod schema is the source of truth for validation, types and docs.
 */
import { CdcError, redactUrl } from '@cdc/core';
import { z } from 'zod';

/** Read consistency levels by their cassandra-driver names (`types.consistencies`). */
export const SCYLLA_CONSISTENCIES = [
  'any',
  'one',
  'two',
  'three',
  'quorum',
  'all',
  'localQuorum',
  'eachQuorum',
  'localOne',
] as const;

/** A read consistency level name. */
export type ScyllaConsistency = (typeof SCYLLA_CONSISTENCIES)[number];

/** TLS settings; file paths are read when connecting. */
export const scyllaTlsOptionsSchema = z.object({
  /** Use TLS. Default `false` (implied `true` when any other TLS option is set in a URL). */
  enabled: z.boolean().default(true),
  /** Path of a PEM CA bundle to trust. */
  caFile: z.string().min(1).optional(),
  /** Path of a PEM client certificate (mutual TLS). */
  certFile: z.string().min(1).optional(),
  /** Path of the PEM private key of `certFile`. */
  keyFile: z.string().min(1).optional(),
  /** Verify the server certificate. Default `true`; disable only for tests. */
  rejectUnauthorized: z.boolean().default(true),
  /** SNI / certificate host name to verify instead of the contact point. */
  serverName: z.string().min(1).optional(),
});

/** TLS settings of {@link ScyllaOptions}. */
export type ScyllaTlsOptions = z.infer<typeof scyllaTlsOptionsSchema>;

/** CDC reading settings (see `docs/sources/scylla.md`, "Reading windows"). */
export const scyllaCdcOptionsSchema = z.object({
  /** Width of one read window in ms. Default 30 s (the scylla-cdc libraries' default). */
  windowMs: z.number().int().positive().default(30_000),
  /**
   * A window is read only once `windowEnd + confidenceMs <= now`, so writes with slightly older client
   * timestamps (clock skew, retries) have arrived. This is the latency floor. Default 30 s.
   */
  confidenceMs: z.number().int().nonnegative().default(30_000),
  /** Longest pause while waiting for the next readable window. Default 10 s. */
  pollIntervalMs: z.number().int().positive().default(10_000),
  /**
   * An idle stream group still reports its progress (an empty batch) this often, so a restart does not
   * re-read hours of empty windows and an idle group is never mistaken for a TTL gap. Default 60 s.
   */
  heartbeatMs: z.number().int().positive().default(60_000),
  /** How often new generations / stream sets are looked up. Default 60 s. */
  generationRefreshMs: z.number().int().positive().default(60_000),
  /** CDC log TTL in seconds when it cannot be read from the schema. Default 86,400 (Scylla's default). */
  ttlSeconds: z.number().int().nonnegative().default(86_400),
  /** Streams of one group per `IN (…)` query at most. Default 100. */
  maxStreamsPerQuery: z.number().int().positive().default(100),
  /** Stream groups read concurrently. Default 8. */
  parallelism: z.number().int().positive().default(8),
  /**
   * Where to start when no position is stored and no snapshot was taken: `'now'` (minus the confidence)
   * or `'earliest'` (oldest generation still within the CDC TTL). Default `'now'`.
   */
  startAt: z.enum(['now', 'earliest']).default('now'),
  /** Stop after one pass over the currently readable windows (tests, one-shot catch-up). Default `false`. */
  stopWhenCaughtUp: z.boolean().default(false),
});

/** CDC settings of {@link ScyllaOptions}. */
export type ScyllaCdcOptions = z.infer<typeof scyllaCdcOptionsSchema>;

/** Every option of {@link connectScylla}, validated. */
export const scyllaOptionsSchema = z.object({
  /** `host` or `host:port` contact points (at least one). */
  contactPoints: z.array(z.string().min(1)).min(1),
  /** Default port for contact points without one. Default 9042. */
  port: z.number().int().min(1).max(65535).default(9042),
  /** Local datacenter for the load-balancing policy (required by cassandra-driver). */
  localDataCenter: z.string().min(1),
  /** Default keyspace for table ids without a schema. */
  keyspace: z.string().min(1).optional(),
  /** Read consistency. Default `localQuorum`. */
  consistency: z.enum(SCYLLA_CONSISTENCIES).default('localQuorum'),
  username: z.string().optional(),
  password: z.string().optional(),
  tls: scyllaTlsOptionsSchema.optional(),
  /** Rows per page. Default 1,000. */
  fetchSize: z.number().int().positive().default(1000),
  /** Concurrent token-range queries for counts and scans. Default 8. */
  parallelism: z.number().int().positive().default(8),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  readTimeoutMs: z.number().int().positive().default(30_000),
  /**
   * Server-side timeout appended as `USING TIMEOUT` on ScyllaDB (ignored on Apache Cassandra), in ms.
   * Default: none (server default).
   */
  serverTimeoutMs: z.number().int().positive().optional(),
  /** Append `BYPASS CACHE` to full scans on ScyllaDB so they do not evict hot data. Default `true`. */
  bypassCache: z.boolean().default(true),
  /** Force the flavor instead of detecting it on connect. Default `'auto'`. */
  flavor: z.enum(['auto', 'scylla', 'cassandra']).default('auto'),
  cdc: scyllaCdcOptionsSchema.default(scyllaCdcOptionsSchema.parse({})),
});

/** Validated options (defaults filled in). */
export type ScyllaOptions = z.infer<typeof scyllaOptionsSchema>;
/** Options as a caller writes them (defaults optional). */
export type ScyllaOptionsInput = z.input<typeof scyllaOptionsSchema>;

const CONSISTENCY_ALIASES: Readonly<Record<string, ScyllaConsistency>> = Object.fromEntries(
  SCYLLA_CONSISTENCIES.map((c) => [c.replace(/[A-Z]/g, (m) => `_${m}`).toLowerCase(), c]),
);

/** Accepts `localQuorum`, `LOCAL_QUORUM`, `local_quorum`, `local-quorum`. */
export function parseConsistency(value: string): ScyllaConsistency {
  const v = value.trim();
  const snake = /[a-z]/.test(v) ? v.replace(/([a-z0-9])([A-Z])/g, '$1_$2') : v;
  const key = snake.replace(/-/g, '_').toLowerCase();
  const hit = CONSISTENCY_ALIASES[key];
  if (!hit) {
    throw new CdcError('CONFIG_INVALID', `Unknown consistency level '${value}'.`, {
      hint: `Use one of: ${SCYLLA_CONSISTENCIES.join(', ')} (LOCAL_QUORUM style is accepted too).`,
    });
  }
  return hit;
}

const BOOL_TRUE = new Set(['1', 'true', 'yes', 'on']);
const BOOL_FALSE = new Set(['0', 'false', 'no', 'off']);

function parseBool(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (BOOL_TRUE.has(v)) return true;
  if (BOOL_FALSE.has(v)) return false;
  throw new CdcError('CONFIG_INVALID', `URL parameter '${name}' must be true or false, got '${value}'.`);
}

function parseInt10(name: string, value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new CdcError(
      'CONFIG_INVALID',
      `URL parameter '${name}' must be a positive integer, got '${value}'.`,
    );
  }
  return Number(value);
}

/**
 * Parses `scylla://[user[:password]@]host1[:port][,host2[:port]…][/keyspace][?param=value…]` (also
 * `cassandra://`). IPv6 hosts go in brackets. Parameters: `localDataCenter` (required), `consistency`,
 * `fetchSize`, `parallelism`, `connectTimeoutMs`, `readTimeoutMs`, `serverTimeoutMs`, `bypassCache`,
 * `flavor`, `ssl`/`tls`, `sslCa`, `sslCert`, `sslKey`, `sslRejectUnauthorized`, `sslServerName`,
 * `cdcWindowMs`, `cdcConfidenceMs`, `cdcStartAt`, and `username`/`password` as an alternative to the
 * user-info part. Throws `CdcError('CONFIG_INVALID')` naming the bad part (password redacted).
 *
 * @example
 * parseScyllaUrl('scylla://app:s3cret@10.0.0.1,10.0.0.2:9043/shop?localDataCenter=dc1&consistency=LOCAL_QUORUM')
 */
export function parseScyllaUrl(url: string): ScyllaOptions {
  const shown = redactUrl(url);
  const m = /^(scylla|cassandra|scylladb):\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/i.exec(
    url.trim(),
  );
  if (!m) {
    throw new CdcError('CONFIG_INVALID', `Not a ScyllaDB URL: ${shown}.`, {
      hint: 'Use scylla://[user:password@]host1[:port][,host2…]/keyspace?localDataCenter=<dc>.',
    });
  }
  const [, , userInfo, hostList = '', path = '', query = ''] = m;
  const input: Record<string, unknown> = {};
  const cdc: Record<string, unknown> = {};
  const tls: Record<string, unknown> = {};
  let tlsEnabled: boolean | undefined;

  if (userInfo !== undefined && userInfo !== '') {
    const colon = userInfo.indexOf(':');
    input.username = decodeURIComponent(colon < 0 ? userInfo : userInfo.slice(0, colon));
    if (colon >= 0) input.password = decodeURIComponent(userInfo.slice(colon + 1));
  }

  const contactPoints: string[] = [];
  for (const raw of hostList.split(',')) {
    const host = raw.trim();
    if (host === '') continue;
    const hm = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(host);
    if (!hm) {
      throw new CdcError('CONFIG_INVALID', `Bad host '${host}' in ${shown}.`, {
        hint: 'Write hosts as name, name:port or [ipv6]:port, separated by commas.',
      });
    }
    const port = hm[2] === undefined ? undefined : Number(hm[2]);
    if (port !== undefined && (port < 1 || port > 65535)) {
      throw new CdcError('CONFIG_INVALID', `Bad port in '${host}' of ${shown}.`);
    }
    contactPoints.push(port === undefined ? (hm[1] ?? host) : `${hm[1] ?? host}:${port}`);
  }
  if (contactPoints.length === 0) {
    throw new CdcError('CONFIG_INVALID', `No host in ${shown}.`, {
      hint: 'Give at least one contact point: scylla://host:9042/keyspace?localDataCenter=<dc>.',
    });
  }
  input.contactPoints = contactPoints;
  const keyspace = decodeURIComponent(path.replace(/\/+$/, ''));
  if (keyspace.includes('/')) {
    throw new CdcError('CONFIG_INVALID', `The path of ${shown} must be a single keyspace name.`);
  }
  if (keyspace !== '') input.keyspace = keyspace;

  for (const [name, value] of new URLSearchParams(query)) {
    switch (name) {
      case 'localDataCenter':
      case 'local_dc':
      case 'dc':
        input.localDataCenter = value;
        break;
      case 'consistency':
        input.consistency = parseConsistency(value);
        break;
      case 'username':
      case 'user':
        input.username = value;
        break;
      case 'password':
        input.password = value;
        break;
      case 'port':
        input.port = parseInt10(name, value);
        break;
      case 'fetchSize':
      case 'parallelism':
      case 'connectTimeoutMs':
      case 'readTimeoutMs':
      case 'serverTimeoutMs':
        input[name] = parseInt10(name, value);
        break;
      case 'bypassCache':
        input.bypassCache = parseBool(name, value);
        break;
      case 'flavor':
        input.flavor = value;
        break;
      case 'ssl':
      case 'tls':
        tlsEnabled = parseBool(name, value);
        break;
      case 'sslCa':
        tls.caFile = value;
        break;
      case 'sslCert':
        tls.certFile = value;
        break;
      case 'sslKey':
        tls.keyFile = value;
        break;
      case 'sslRejectUnauthorized':
        tls.rejectUnauthorized = parseBool(name, value);
        break;
      case 'sslServerName':
        tls.serverName = value;
        break;
      case 'cdcWindowMs':
        cdc.windowMs = parseInt10(name, value);
        break;
      case 'cdcConfidenceMs':
        cdc.confidenceMs = parseInt10(name, value);
        break;
      case 'cdcStartAt':
        cdc.startAt = value;
        break;
      default:
        throw new CdcError('CONFIG_INVALID', `Unknown parameter '${name}' in ${shown}.`, {
          hint: 'See docs/sources/scylla.md, "Options", for the accepted URL parameters.',
        });
    }
  }
  if (tlsEnabled === true || (tlsEnabled === undefined && Object.keys(tls).length > 0)) {
    input.tls = { ...tls, enabled: true };
  } else if (Object.keys(tls).length > 0) {
    throw new CdcError('CONFIG_INVALID', `TLS parameters given with ssl=false in ${shown}.`);
  }
  if (Object.keys(cdc).length > 0) input.cdc = cdc;
  return validateScyllaOptions(input, shown);
}

/** Validates options given as an object (CLI config, API); errors name the option path. */
export function validateScyllaOptions(input: unknown, where = 'ScyllaDB options'): ScyllaOptions {
  const parsed = scyllaOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  if (path === 'localDataCenter') {
    throw new CdcError('CONFIG_INVALID', `localDataCenter is required (${where}).`, {
      hint: 'Add ?localDataCenter=<dc> (find it with: SELECT data_center FROM system.local).',
    });
  }
  throw new CdcError(
    'CONFIG_INVALID',
    `Invalid ${path || 'option'} in ${where}: ${issue?.message ?? 'invalid'}.`,
    {
      hint: 'See docs/sources/scylla.md, "Options".',
    },
  );
}
