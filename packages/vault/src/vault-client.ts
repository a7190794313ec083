/**
 * A typed client over Vault's HTTP API (KV v2, token/AppRole/Kubernetes auth, token lookup/renewal,
 * sys/health), with timeouts, retries with backoff, a circuit breaker and a lease-honouring cache.
 * Tokens and secret values live only in private fields and request headers: never in errors or logs.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { Agent, request, type Dispatcher } from 'undici';
import { CdcError, isCdcError, redactUrl, type CdcErrorCode } from '@cdc/core';
import { validateNamespace, validateSecretPath } from './vault-path.js';

/** How the client authenticates. Values are secrets: pass them resolved, never log them. */
export type VaultAuth =
  | { method: 'token'; token: string }
  | { method: 'approle'; roleId: string; secretId: string; mount?: string }
  | {
      method: 'kubernetes';
      role: string;
      /** The service account JWT; read from `jwtFile` at every login when absent. */
      jwt?: string;
      /** Default `/var/run/secrets/kubernetes.io/serviceaccount/token`. */
      jwtFile?: string;
      mount?: string;
    };

/** TLS options. */
export interface VaultTlsOptions {
  /** PEM file of the CA that signed Vault's certificate. */
  caFile?: string;
  /** Skip certificate verification. Dangerous: a loud warning is emitted. Default `false`. */
  skipVerify?: boolean;
}

/** Options of {@link VaultClient}. */
export interface VaultClientOptions {
  /** Vault's base URL, e.g. `https://vault.internal:8200`. */
  address: string;
  /** Vault Enterprise namespace, sent as `X-Vault-Namespace` (not for `sys/health`). */
  namespace?: string;
  auth: VaultAuth;
  tls?: VaultTlsOptions;
  /** Per-attempt timeout in ms. Default 5000. */
  timeoutMs?: number;
  /** Retries of 429/5xx/network failures, with exponential backoff. */
  retry?: { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** Opens after `consecutiveFailures` transient failures; half-opens after `halfOpenAfterMs`. */
  circuitBreaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  /**
   * How long KV v2 reads are cached when Vault gives no lease (`lease_duration: 0`, the KV v2 norm).
   * A positive `lease_duration` always wins. `0` disables caching. Default 300000 (5 min).
   */
  cacheTtlMs?: number;
  /**
   * Renew (or log in again) when less than this fraction of the token's TTL remains. Default 1/3.
   */
  renewAtRemainingFraction?: number;
  /** Receives warnings (e.g. TLS verification off). Default: `process.emitWarning`. */
  warn?: (message: string) => void;
  /** Clock in ms, for tests. Default `Date.now`. */
  now?: () => number;
}

/** One KV v2 secret version. */
export interface KvSecret {
  data: Record<string, unknown>;
  version: number;
  createdTime: string | undefined;
}

/** What `auth/token/lookup-self` says about the client's token (never the token itself). */
export interface VaultTokenInfo {
  accessor: string | undefined;
  policies: string[];
  /** Seconds left; `0` for tokens that never expire. */
  ttlSeconds: number;
  renewable: boolean;
  expireTime: string | undefined;
}

/** Result of {@link VaultClient.health}: a structured state, never a bare boolean. */
export interface VaultHealth {
  status: 'ok' | 'sealed' | 'standby' | 'unreachable';
  /** Vault's version, when it answered. */
  version: string | undefined;
  latencyMs: number;
  /** Why the status is not `ok` (never contains secrets). */
  error?: string;
}

interface Response {
  status: number;
  json: Record<string, unknown> | undefined;
}

interface TokenState {
  token: string;
  /** ms since the epoch; undefined = never expires. */
  expiresAt: number | undefined;
  ttlMs: number;
  renewable: boolean;
}

const DEFAULT_JWT_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Vault HTTP API client.
 *
 * @example
 * ```ts
 * const vault = new VaultClient({
 *   address: 'https://vault.internal:8200',
 *   auth: { method: 'approle', roleId, secretId },
 * });
 * const password = await vault.readKvField('secret', 'cdc/source', 'password');
 * await vault.close();
 * ```
 */
export class VaultClient {
  readonly #address: string;
  readonly #namespace: string | undefined;
  readonly #auth: VaultAuth;
  readonly #timeoutMs: number;
  readonly #cacheTtlMs: number;
  readonly #renewFraction: number;
  readonly #now: () => number;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #policy: IPolicy;
  readonly #breakerFailures: number;
  readonly #halfOpenAfterMs: number;
  readonly #cache = new Map<string, { secret: KvSecret; expiresAt: number }>();
  readonly #inflight = new Map<string, Promise<KvSecret>>();
  #state: TokenState | undefined;
  #authenticating: Promise<TokenState> | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  /** Secrets this client knows (token, secret id, jwt): scrubbed from any text Vault sends back. */
  readonly #known = new Set<string>();

  constructor(options: VaultClientOptions) {
    this.#address = normalizeAddress(options.address);
    this.#namespace = options.namespace ? validateNamespace(options.namespace) : undefined;
    this.#auth = options.auth;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#cacheTtlMs = options.cacheTtlMs ?? 300_000;
    this.#renewFraction = options.renewAtRemainingFraction ?? 1 / 3;
    this.#now = options.now ?? Date.now;
    const warn = options.warn ?? ((m: string) => process.emitWarning(m, { code: 'CDC_VAULT_TLS' }));
    this.#dispatcher = createDispatcher(options.tls, warn);
    if (this.#address.startsWith('http:') && !isLoopback(this.#address)) {
      warn(
        `Vault address ${this.#address} uses plain HTTP: tokens and secrets cross the network unencrypted`,
      );
    }
    for (const s of authSecrets(options.auth)) this.#known.add(s);

    this.#breakerFailures = options.circuitBreaker?.consecutiveFailures ?? 5;
    this.#halfOpenAfterMs = options.circuitBreaker?.halfOpenAfterMs ?? 30_000;
    const transient = handleWhen((e) => (isCdcError(e) && e.transient) || e instanceof TaskCancelledError);
    this.#policy = wrap(
      retry(transient, {
        maxAttempts: options.retry?.maxAttempts ?? 3,
        backoff: new ExponentialBackoff({
          initialDelay: options.retry?.initialDelayMs ?? 100,
          maxDelay: options.retry?.maxDelayMs ?? 5000,
        }),
      }),
      circuitBreaker(transient, {
        halfOpenAfter: this.#halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.#breakerFailures),
      }),
      timeout(this.#timeoutMs, TimeoutStrategy.Aggressive),
    );
  }

  /** The Vault address (no credentials ever live in it). */
  get address(): string {
    return this.#address;
  }

  /** Authenticates now (otherwise the first request does). Idempotent while the token is valid. */
  async login(): Promise<void> {
    await this.#token();
  }

  /**
   * Reads a KV v2 secret: `GET /v1/<mount>/data/<path>[?version=N]`. Cached per lease/TTL.
   * @throws CdcError `SECRET_UNRESOLVED` (404, or the version was deleted/destroyed),
   *   `PERMISSION_DENIED` (403), `AUTH_FAILED`, `UPSTREAM_ERROR`, `TIMEOUT`, `INVALID_ARGUMENT` (bad path)
   */
  async readKv(mount: string, path: string, options: { version?: number } = {}): Promise<KvSecret> {
    validateSecretPath(mount, 'mount');
    validateSecretPath(path, 'secret path');
    const version = options.version;
    if (version !== undefined && !(Number.isInteger(version) && version > 0)) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `invalid KV version for ${mount}/${path}: must be a positive integer`,
      );
    }
    const key = `${mount}/${path}@${version ?? 'latest'}`;
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > this.#now()) return cached.secret;
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const work = this.#fetchKv(mount, path, version, key).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, work);
    return work;
  }

  /**
   * Reads one key of a KV v2 secret as a string (numbers and booleans are stringified).
   * @throws CdcError `SECRET_UNRESOLVED` naming the path and key (never a value)
   */
  async readKvField(
    mount: string,
    path: string,
    key: string,
    options: { version?: number } = {},
  ): Promise<string> {
    const secret = await this.readKv(mount, path, options);
    const value = secret.data[key];
    const where = `${mount}/${path} (version ${secret.version})`;
    if (value === undefined || value === null) {
      throw new CdcError('SECRET_UNRESOLVED', `Vault secret ${where} has no key "${key}"`, {
        hint: `keys present: ${Object.keys(secret.data).join(', ') || '(none)'}`,
      });
    }
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new CdcError('SECRET_UNRESOLVED', `Vault secret ${where}: key "${key}" is not a string`, {
      hint: 'store the value as a string, or reference a nested key by its own secret path',
    });
  }

  /** Empties the KV cache (e.g. after a rotation). */
  clearCache(): void {
    this.#cache.clear();
  }

  /** `GET /v1/auth/token/lookup-self`: TTL, renewability and policies of the client's token. */
  async lookupSelf(): Promise<VaultTokenInfo> {
    const state = await this.#token();
    const res = await this.#call('GET', 'auth/token/lookup-self', 'look up the Vault token', {
      token: state.token,
    });
    return tokenInfo(res.json);
  }

  /**
   * `POST /v1/auth/token/renew-self`. Normally automatic: requests renew the token when less than
   * `renewAtRemainingFraction` of its TTL remains.
   */
  async renewSelf(incrementSeconds?: number): Promise<VaultTokenInfo> {
    const state = await this.#token();
    const renewed = await this.#renew(state, incrementSeconds);
    this.#state = renewed;
    return {
      accessor: undefined,
      policies: [],
      ttlSeconds: Math.round(renewed.ttlMs / 1000),
      renewable: renewed.renewable,
      expireTime: renewed.expiresAt === undefined ? undefined : new Date(renewed.expiresAt).toISOString(),
    };
  }

  /**
   * Renews in the background shortly before expiry, so long-running processes keep a valid token
   * even between reads. The timer does not keep the process alive. {@link close} stops it.
   */
  startTokenRenewal(): void {
    this.#scheduleRenewal();
  }

  /**
   * `GET /v1/sys/health` with the documented status codes: 200 active → `ok`; 429/472/473/474 →
   * `standby`; 503 sealed and 501 not initialized → `sealed`; no answer → `unreachable`.
   * Never throws and never retries: it reports what it saw.
   */
  async health(): Promise<VaultHealth> {
    const started = performance.now();
    const latency = (): number => Math.round((performance.now() - started) * 10) / 10;
    try {
      const res = await this.#send(
        'GET',
        'sys/health',
        undefined,
        { namespace: false },
        AbortSignal.timeout(this.#timeoutMs),
      );
      const version = typeof res.json?.version === 'string' ? res.json.version : undefined;
      const base = { version, latencyMs: latency() };
      switch (res.status) {
        case 200:
          return { status: 'ok', ...base };
        case 429:
        case 472:
        case 473:
        case 474:
          return { status: 'standby', ...base, error: standbyReason(res.status) };
        case 503:
          return { status: 'sealed', ...base, error: 'Vault is sealed' };
        case 501:
          return { status: 'sealed', ...base, error: 'Vault is not initialized' };
        default:
          return { status: 'unreachable', ...base, error: `unexpected sys/health status ${res.status}` };
      }
    } catch (error) {
      return {
        status: 'unreachable',
        version: undefined,
        latencyMs: latency(),
        error: this.#describe(error),
      };
    }
  }

  /** Stops background renewal and closes connections. */
  async close(): Promise<void> {
    if (this.#renewTimer) clearTimeout(this.#renewTimer);
    this.#renewTimer = undefined;
    await this.#dispatcher?.close();
  }

  async #fetchKv(mount: string, path: string, version: number | undefined, key: string): Promise<KvSecret> {
    const apiPath = `${mount}/data/${path}${version === undefined ? '' : `?version=${version}`}`;
    const what = `read Vault secret ${mount}/${path}${version === undefined ? '' : ` version ${version}`}`;
    const res = await this.#authed((token) => this.#call('GET', apiPath, what, { token, allow404: true }));
    const payload = (res.json?.data ?? undefined) as
      { data?: unknown; metadata?: Record<string, unknown> } | undefined;
    if (res.status === 404 || !payload || payload.data === null || typeof payload.data !== 'object') {
      const meta = payload?.metadata;
      const gone =
        meta &&
        (meta.destroyed === true || (typeof meta.deletion_time === 'string' && meta.deletion_time !== ''));
      throw new CdcError(
        'SECRET_UNRESOLVED',
        gone
          ? `Vault secret ${mount}/${path}${version === undefined ? '' : ` version ${version}`} was deleted or destroyed`
          : `no Vault secret at ${mount}/${path}${version === undefined ? '' : ` version ${version}`} (KV v2 mount "${mount}")`,
        {
          hint: gone
            ? 'undelete it or reference another version'
            : 'check the mount, the path and that the mount is KV version 2',
        },
      );
    }
    const metadata = payload.metadata ?? {};
    const secret: KvSecret = {
      data: payload.data as Record<string, unknown>,
      version: typeof metadata.version === 'number' ? metadata.version : (version ?? 0),
      createdTime: typeof metadata.created_time === 'string' ? metadata.created_time : undefined,
    };
    const lease = typeof res.json?.lease_duration === 'number' ? res.json.lease_duration : 0;
    const ttl = lease > 0 ? lease * 1000 : this.#cacheTtlMs;
    if (ttl > 0) this.#cache.set(key, { secret, expiresAt: this.#now() + ttl });
    return secret;
  }

  /** Runs `fn` with a valid token; when a logged-in token is rejected (revoked), logs in once more. */
  async #authed(fn: (token: string) => Promise<Response>): Promise<Response> {
    const state = await this.#token();
    try {
      return await fn(state.token);
    } catch (error) {
      if (
        isCdcError(error) &&
        error.code === 'PERMISSION_DENIED' &&
        this.#auth.method !== 'token' &&
        this.#state === state
      ) {
        this.#state = undefined;
        const fresh = await this.#token();
        return fn(fresh.token);
      }
      throw error;
    }
  }

  /** A token valid for a while: logs in, or renews/re-logs-in when little TTL remains. */
  async #token(): Promise<TokenState> {
    const state = this.#state;
    if (state && !this.#needsRefresh(state)) return state;
    this.#authenticating ??= this.#refresh(state).finally(() => {
      this.#authenticating = undefined;
    });
    return this.#authenticating;
  }

  #needsRefresh(state: TokenState): boolean {
    if (state.expiresAt === undefined) return false;
    return state.expiresAt - this.#now() <= state.ttlMs * this.#renewFraction;
  }

  async #refresh(previous: TokenState | undefined): Promise<TokenState> {
    let next: TokenState | undefined;
    if (
      previous &&
      previous.renewable &&
      previous.expiresAt !== undefined &&
      previous.expiresAt > this.#now()
    ) {
      try {
        next = await this.#renew(previous);
      } catch (error) {
        // A token method cannot log in again: its renewal failure is the answer.
        if (this.#auth.method === 'token') throw error;
      }
      // Renewal capped by max TTL leaves too little time: log in again instead.
      if (next && this.#needsRefresh(next) && this.#auth.method !== 'token') next = undefined;
    }
    if (!next) {
      if (previous && this.#auth.method === 'token') {
        if (previous.expiresAt !== undefined && previous.expiresAt <= this.#now()) {
          throw new CdcError('AUTH_FAILED', 'the configured Vault token has expired and cannot be renewed', {
            hint: 'issue a new token (or use AppRole/Kubernetes auth, which log in again by themselves)',
          });
        }
        next = previous; // not renewable but still valid: use it until it expires
      } else {
        next = await this.#login();
      }
    }
    this.#state = next;
    return next;
  }

  async #login(): Promise<TokenState> {
    const auth = this.#auth;
    if (auth.method === 'token') {
      this.#known.add(auth.token);
      const res = await this.#call('GET', 'auth/token/lookup-self', 'authenticate to Vault with a token', {
        token: auth.token,
        login: true,
      });
      const info = tokenInfo(res.json);
      const ttlMs = info.ttlSeconds * 1000;
      return {
        token: auth.token,
        expiresAt: info.ttlSeconds > 0 ? this.#now() + ttlMs : undefined,
        ttlMs,
        renewable: info.renewable,
      };
    }
    let body: Record<string, string>;
    let mount: string;
    if (auth.method === 'approle') {
      mount = validateSecretPath(auth.mount ?? 'approle', 'auth mount');
      body = { role_id: auth.roleId, secret_id: auth.secretId };
    } else {
      mount = validateSecretPath(auth.mount ?? 'kubernetes', 'auth mount');
      const jwt = auth.jwt ?? (await readJwt(auth.jwtFile ?? DEFAULT_JWT_FILE));
      this.#known.add(jwt);
      body = { role: auth.role, jwt };
    }
    const res = await this.#call(
      'POST',
      `auth/${mount}/login`,
      `log in to Vault (${auth.method}, auth/${mount})`,
      {
        body,
        login: true,
      },
    );
    return this.#fromAuth(res.json, `log in to Vault (${auth.method})`);
  }

  async #renew(state: TokenState, incrementSeconds?: number): Promise<TokenState> {
    const res = await this.#call('POST', 'auth/token/renew-self', 'renew the Vault token', {
      token: state.token,
      body: incrementSeconds === undefined ? {} : { increment: `${Math.floor(incrementSeconds)}s` },
    });
    return this.#fromAuth(res.json, 'renew the Vault token');
  }

  #fromAuth(json: Record<string, unknown> | undefined, what: string): TokenState {
    const auth = json?.auth as
      { client_token?: unknown; lease_duration?: unknown; renewable?: unknown } | undefined;
    if (!auth || typeof auth.client_token !== 'string' || auth.client_token === '') {
      throw new CdcError('UPSTREAM_ERROR', `${what}: Vault's answer has no auth.client_token`);
    }
    this.#known.add(auth.client_token);
    const lease = typeof auth.lease_duration === 'number' ? auth.lease_duration : 0;
    return {
      token: auth.client_token,
      expiresAt: lease > 0 ? this.#now() + lease * 1000 : undefined,
      ttlMs: lease * 1000,
      renewable: auth.renewable === true,
    };
  }

  #scheduleRenewal(): void {
    if (this.#renewTimer) clearTimeout(this.#renewTimer);
    const state = this.#state;
    const delay =
      state?.expiresAt === undefined
        ? state
          ? undefined
          : 0
        : Math.max(1000, state.expiresAt - this.#now() - state.ttlMs * this.#renewFraction);
    if (delay === undefined) return;
    this.#renewTimer = setTimeout(() => {
      this.#token()
        .catch(() => undefined) // the next request reports the failure with context
        .finally(() => this.#scheduleRenewal());
    }, delay);
    this.#renewTimer.unref();
  }

  /** One API call through timeout, circuit breaker and retries; maps status codes to CdcErrors. */
  async #call(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    options: { token?: string; body?: unknown; allow404?: boolean; login?: boolean },
  ): Promise<Response> {
    let res: Response;
    try {
      res = await this.#policy.execute(async ({ signal }) => {
        const r = await this.#send(method, path, options.body, { token: options.token }, signal);
        if (r.status === 429 || r.status === 412 || r.status >= 500)
          throw this.#statusError(r, what, options.login);
        return r;
      });
    } catch (error) {
      throw this.#wrapPolicyError(error, what);
    }
    if (res.status >= 200 && res.status < 300) return res;
    if (res.status === 404 && options.allow404) return res;
    throw this.#statusError(res, what, options.login);
  }

  async #send(
    method: string,
    path: string,
    body: unknown,
    options: { token?: string; namespace?: boolean },
    signal: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token) headers['x-vault-token'] = options.token;
    if (this.#namespace && options.namespace !== false) headers['x-vault-namespace'] = this.#namespace;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    try {
      const res = await request(`${this.#address}/v1/${path}`, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: payload,
        signal,
        ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      });
      const text = await res.body.text();
      let json: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = text.length > 0 ? JSON.parse(text) : undefined;
        json = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json };
    } catch (error) {
      if (signal.aborted) throw new TaskCancelledError(`Vault did not answer within ${this.#timeoutMs} ms`);
      throw new CdcError(
        'CONNECTION_FAILED',
        `cannot reach Vault at ${this.#address}: ${networkReason(error)}`,
        {
          hint: 'check vault.address, the network path and (for https) vault.tls.caFile',
          transient: true,
          cause: this.#scrubCause(error),
        },
      );
    }
  }

  #statusError(res: Response, what: string, login = false): CdcError {
    const errors = Array.isArray(res.json?.errors) ? (res.json.errors as unknown[]).map(String) : [];
    const detail = errors.length > 0 ? `: ${this.#scrub(errors.join('; ')).slice(0, 300)}` : '';
    const at = `${what} (HTTP ${res.status})${detail}`;
    const make = (code: CdcErrorCode, hint: string, transient = false): CdcError =>
      new CdcError(code, `cannot ${at}`, { hint, transient });
    if (login && (res.status === 400 || res.status === 401 || res.status === 403)) {
      return make(
        'AUTH_FAILED',
        'check the auth method settings (role, credentials, auth mount) in the vault block',
      );
    }
    switch (res.status) {
      case 400:
        return make('INVALID_ARGUMENT', 'Vault rejected the request; check the path and parameters');
      case 401:
      case 403:
        return make('PERMISSION_DENIED', "check that the token's policies grant read on this path");
      case 404:
        return make(
          'UPSTREAM_ERROR',
          'check the mount and path; the secrets engine may not be enabled there',
        );
      case 412:
        return make('UPSTREAM_ERROR', 'a performance standby had not caught up yet; retried', true);
      case 429:
        return make('UPSTREAM_ERROR', 'Vault is rate limiting this client; retried with backoff', true);
      case 503:
        return make('UPSTREAM_ERROR', 'Vault is sealed or in maintenance; check `vault status`', true);
      default:
        return make('UPSTREAM_ERROR', 'Vault failed; check its server logs', res.status >= 500);
    }
  }

  #wrapPolicyError(error: unknown, what: string): unknown {
    if (error instanceof BrokenCircuitError) {
      return new CdcError(
        'UPSTREAM_ERROR',
        `cannot ${what}: circuit breaker open after ${this.#breakerFailures} consecutive Vault failures`,
        {
          hint: `calls resume on their own after ${Math.round(this.#halfOpenAfterMs / 1000)} s; check Vault's health`,
          transient: true,
        },
      );
    }
    if (error instanceof TaskCancelledError) {
      return new CdcError('TIMEOUT', `cannot ${what}: Vault did not answer within ${this.#timeoutMs} ms`, {
        hint: 'check Vault and the network, or raise vault.timeoutMs',
        transient: true,
      });
    }
    return error;
  }

  #describe(error: unknown): string {
    if (error instanceof TaskCancelledError) return `no answer within ${this.#timeoutMs} ms`;
    return this.#scrub(error instanceof Error ? error.message : String(error));
  }

  /** Replaces every secret this client knows by `***` (Vault error texts can echo input). */
  #scrub(text: string): string {
    let out = text;
    for (const s of this.#known) if (s.length >= 4) out = out.split(s).join('***');
    return out;
  }

  #scrubCause(error: unknown): unknown {
    return error instanceof Error ? new Error(this.#scrub(error.message)) : undefined;
  }
}

function normalizeAddress(address: string): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new CdcError('CONFIG_INVALID', `vault.address "${redactUrl(address)}" is not a URL`, {
      hint: 'write it like https://vault.example.com:8200',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CdcError('CONFIG_INVALID', `vault.address must be http(s), got ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new CdcError('CONFIG_INVALID', `vault.address ${redactUrl(address)} must not contain credentials`, {
      hint: 'put credentials in vault.auth (as env: or file: references)',
    });
  }
  if (url.search || url.hash)
    throw new CdcError('CONFIG_INVALID', 'vault.address must not have a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function isLoopback(address: string): boolean {
  const host = new URL(address).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

function createDispatcher(
  tls: VaultTlsOptions | undefined,
  warn: (m: string) => void,
): Dispatcher | undefined {
  if (!tls || (!tls.caFile && !tls.skipVerify)) return undefined;
  let ca: Buffer | undefined;
  if (tls.caFile) {
    try {
      ca = readFileSync(tls.caFile);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new CdcError('CONFIG_INVALID', `cannot read vault.tls.caFile ${tls.caFile} (${code})`, {
        hint: 'point it at the PEM file of the CA that signed the Vault certificate',
      });
    }
  }
  if (tls.skipVerify) {
    warn(
      "WARNING: vault.tls.skipVerify is true: Vault's TLS certificate is NOT verified, so anyone on the network " +
        'path can impersonate Vault and read the credentials cdc sends. Use vault.tls.caFile instead.',
    );
  }
  return new Agent({ connect: { ...(ca ? { ca } : {}), rejectUnauthorized: !tls.skipVerify } });
}

function authSecrets(auth: VaultAuth): string[] {
  switch (auth.method) {
    case 'token':
      return [auth.token];
    case 'approle':
      return [auth.secretId, auth.roleId];
    case 'kubernetes':
      return auth.jwt ? [auth.jwt] : [];
  }
}

async function readJwt(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CdcError('AUTH_FAILED', `cannot read the Kubernetes service account token ${file} (${code})`, {
      hint: 'run inside a pod with a mounted service account token, or set vault.auth.jwtFile',
    });
  }
}

function tokenInfo(json: Record<string, unknown> | undefined): VaultTokenInfo {
  const data = (json?.data ?? {}) as Record<string, unknown>;
  return {
    accessor: typeof data.accessor === 'string' ? data.accessor : undefined,
    policies: Array.isArray(data.policies) ? data.policies.map(String) : [],
    ttlSeconds: typeof data.ttl === 'number' ? data.ttl : 0,
    renewable: data.renewable === true,
    expireTime: typeof data.expire_time === 'string' ? data.expire_time : undefined,
  };
}

function standbyReason(status: number): string {
  switch (status) {
    case 472:
      return 'disaster-recovery secondary';
    case 473:
      return 'performance standby';
    case 474:
      return 'standby that cannot reach the active node';
    default:
      return 'standby node';
  }
}

function networkReason(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown; message?: unknown }; message?: unknown };
  const code =
    typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const message =
    typeof e.cause?.message === 'string'
      ? e.cause.message
      : typeof e.message === 'string'
        ? e.message
        : 'error';
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
