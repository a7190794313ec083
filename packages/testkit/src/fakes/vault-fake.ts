/**
 * VaultFake: a fake of Vault's documented HTTP API, for tests. It is NOT Vault. It serves the handful of
 * endpoints cdc uses, shaped like the official API docs (developer.hashicorp.com/vault/api-docs):
 * `sys/health`, AppRole and Kubernetes login, token `lookup-self`/`renew-self`, and KV v2 reads with
 * versions, plus injectable failures (400/403/404/429/5xx) and sealed/standby states, so every success
 * and failure path of a Vault client can be exercised on 127.0.0.1 without a real server.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** The node state reported by `sys/health` (status codes as documented: 200/429/473/501/503). */
export type VaultFakeState = 'active' | 'standby' | 'performance-standby' | 'sealed' | 'uninitialized';

/** Options of {@link VaultFake.start}. */
export interface VaultFakeOptions {
  /** Token with access to everything. Default: a random UUID. */
  rootToken?: string;
  /** Serve HTTPS with this key/certificate (PEM) instead of plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Version string reported by `sys/health`. Default `1.17.0-fake`. */
  version?: string;
}

/** How a token issued by the fake behaves. */
export interface VaultFakeTokenOptions {
  /** TTL in seconds; `0` never expires. Default 3600. */
  ttlSeconds?: number;
  renewable?: boolean;
  /** Maximum TTL in seconds counted from issue; `0` = none. Renewals are capped by it. Default 0. */
  maxTtlSeconds?: number;
  /** KV paths (`<mount>/<path>` prefixes) this token may read. Default: everything. */
  readPrefixes?: string[];
  policies?: string[];
}

/** A request the fake received (for assertions; the token header is kept as sent). */
export interface VaultFakeRequest {
  method: string;
  /** Path without `/v1` and without the query string, e.g. `secret/data/cdc/source`. */
  path: string;
  query: Record<string, string>;
  token: string | undefined;
  namespace: string | undefined;
  body: unknown;
}

/** A failure to inject: the next `times` requests matching `method`/`path` get `status`. */
export interface VaultFakeFailure {
  /** Exact path (without `/v1`) or a pattern. */
  path: string | RegExp;
  method?: string;
  status: 400 | 403 | 404 | 412 | 429 | 500 | 502 | 503;
  /** Entries of the documented `{"errors": [...]}` body. */
  errors?: string[];
  /** How many matching requests fail. Default 1. */
  times?: number;
  /** Delay the response by this many ms (to exercise client timeouts). */
  delayMs?: number;
}

interface TokenRecord {
  id: string;
  accessor: string;
  policies: string[];
  renewable: boolean;
  ttlSeconds: number;
  maxTtlSeconds: number;
  issuedAt: number;
  expiresAt: number | undefined;
  readPrefixes: string[] | undefined;
  path: string;
  meta: Record<string, string>;
}

interface KvVersion {
  data: Record<string, unknown> | null;
  createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

class FakeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; '));
  }
}

/**
 * A fake of Vault's documented HTTP API, for tests. Start it, seed it, point a client at
 * {@link VaultFake.address}, and inject failures:
 *
 * ```ts
 * const vault = await VaultFake.start();
 * vault.putSecret('secret', 'cdc/source', { password: 's3cret' });
 * vault.addAppRole({ roleId: 'r', secretId: 's' });
 * vault.failNext({ path: 'secret/data/cdc/source', status: 429 });
 * // … client under test …
 * await vault.close();
 * ```
 */
export class VaultFake {
  readonly #server: Server;
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #kv = new Map<string, KvVersion[]>();
  readonly #approles = new Map<string, { secretId: string; token: VaultFakeTokenOptions }>();
  readonly #k8sRoles = new Map<string, { jwt: string; token: VaultFakeTokenOptions }>();
  readonly #failures: (VaultFakeFailure & { remaining: number })[] = [];
  readonly #requests: VaultFakeRequest[] = [];
  readonly #version: string;
  #clockOffsetMs = 0;
  #state: VaultFakeState = 'active';
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly address: string;
  /** The root token (reads everything, never expires). */
  readonly rootToken: string;

  private constructor(server: Server, address: string, rootToken: string, version: string) {
    this.#server = server;
    this.address = address;
    this.rootToken = rootToken;
    this.#version = version;
  }

  /** Starts the fake on 127.0.0.1 on a free port. */
  static async start(options: VaultFakeOptions = {}): Promise<VaultFake> {
    const rootToken = options.rootToken ?? randomUUID();
    // the handler exists before the instance it dispatches to
    const holder: { fake?: VaultFake } = {};
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const fake = holder.fake;
      if (!fake) {
        res.statusCode = 503;
        res.end();
        return;
      }
      void fake.#handle(req, res);
    };
    const server = options.tls
      ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
      : createHttpServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const scheme = options.tls ? 'https' : 'http';
    const fake = new VaultFake(
      server,
      `${scheme}://127.0.0.1:${port}`,
      rootToken,
      options.version ?? '1.17.0-fake',
    );
    fake.#tokens.set(rootToken, {
      id: rootToken,
      accessor: randomUUID(),
      policies: ['root'],
      renewable: false,
      ttlSeconds: 0,
      maxTtlSeconds: 0,
      issuedAt: fake.now(),
      expiresAt: undefined,
      readPrefixes: undefined,
      path: 'auth/token/root',
      meta: {},
    });
    holder.fake = fake;
    return fake;
  }

  /** The fake's clock (ms since the epoch), which {@link advanceClock} moves forward. */
  now(): number {
    return Date.now() + this.#clockOffsetMs;
  }

  /** Moves the fake's clock forward, so tokens expire without waiting. */
  advanceClock(ms: number): void {
    this.#clockOffsetMs += ms;
  }

  /** Sets what `sys/health` reports; `sealed`/`uninitialized` also make every other endpoint answer 503. */
  setState(state: VaultFakeState): void {
    this.#state = state;
  }

  /** Writes a new KV v2 version at `<mount>/<path>` (in `namespace`, default root) and returns its number. */
  putSecret(mount: string, path: string, data: Record<string, unknown>, namespace = ''): number {
    const key = kvKey(namespace, mount, path);
    const versions = this.#kv.get(key) ?? [];
    versions.push({
      data,
      createdTime: new Date(this.now()).toISOString(),
      deletionTime: '',
      destroyed: false,
    });
    this.#kv.set(key, versions);
    return versions.length;
  }

  /** Soft-deletes one version (reads of it then get 404 with metadata, as documented). */
  deleteSecretVersion(mount: string, path: string, version: number, namespace = ''): void {
    const v = this.#kv.get(kvKey(namespace, mount, path))?.[version - 1];
    if (v) v.deletionTime = new Date(this.now()).toISOString();
  }

  /** Issues a token directly (like `auth/token/create`) and returns it. */
  issueToken(
    options: VaultFakeTokenOptions = {},
    path = 'auth/token/create',
    meta: Record<string, string> = {},
  ): string {
    const id = `hvs.${randomUUID().replaceAll('-', '')}`;
    const ttlSeconds = options.ttlSeconds ?? 3600;
    const issuedAt = this.now();
    this.#tokens.set(id, {
      id,
      accessor: randomUUID(),
      policies: options.policies ?? ['default'],
      renewable: options.renewable ?? true,
      ttlSeconds,
      maxTtlSeconds: options.maxTtlSeconds ?? 0,
      issuedAt,
      expiresAt: ttlSeconds > 0 ? issuedAt + ttlSeconds * 1000 : undefined,
      readPrefixes: options.readPrefixes,
      path,
      meta,
    });
    return id;
  }

  /** Revokes a token (subsequent use gets 403 "permission denied"). */
  revokeToken(token: string): void {
    this.#tokens.delete(token);
  }

  /** Registers an AppRole whose login (`auth/<mount>/login`) issues tokens with `token` options. */
  addAppRole(role: { roleId: string; secretId: string; token?: VaultFakeTokenOptions }): void {
    this.#approles.set(role.roleId, { secretId: role.secretId, token: role.token ?? {} });
  }

  /** Registers a Kubernetes auth role accepting exactly `jwt` (the fake does not verify JWTs). */
  addKubernetesRole(role: { role: string; jwt: string; token?: VaultFakeTokenOptions }): void {
    this.#k8sRoles.set(role.role, { jwt: role.jwt, token: role.token ?? {} });
  }

  /** Makes the next matching request(s) fail with `status` and the documented error body. */
  failNext(failure: VaultFakeFailure): void {
    this.#failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  /** Every request received so far, oldest first. */
  get requests(): readonly VaultFakeRequest[] {
    return this.#requests;
  }

  /** Requests whose path matches, for assertions. */
  requestsTo(path: string | RegExp): VaultFakeRequest[] {
    return this.#requests.filter((r) => matches(path, r.path));
  }

  /** Stops the server. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname.replace(/^\/v1\//, '');
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const request: VaultFakeRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      token: header('x-vault-token'),
      namespace: header('x-vault-namespace'),
      body,
    };
    this.#requests.push(request);

    const failure = this.#failures.find(
      (f) => f.remaining > 0 && matches(f.path, path) && (!f.method || f.method.toUpperCase() === method),
    );
    if (failure) {
      failure.remaining -= 1;
      if (failure.delayMs) await new Promise((r) => setTimeout(r, failure.delayMs));
      send(res, failure.status, { errors: failure.errors ?? [] });
      return;
    }
    if (!url.pathname.startsWith('/v1/')) {
      send(res, 404, { errors: [] });
      return;
    }
    try {
      const [status, payload] = this.#route(request);
      send(res, status, payload);
    } catch (error) {
      if (error instanceof FakeHttpError) send(res, error.status, { errors: error.errors });
      else send(res, 500, { errors: [String(error)] });
    }
  }

  #route(req: VaultFakeRequest): [number, unknown] {
    if (req.path === 'sys/health') return this.#health(req);
    if (this.#state === 'sealed' || this.#state === 'uninitialized') {
      throw new FakeHttpError(503, ['Vault is sealed']);
    }
    const login = /^auth\/([^/]+)\/login$/.exec(req.path);
    if (login && req.method === 'POST') return [200, this.#login(login[1] ?? '', req.body)];
    if (req.path === 'auth/token/lookup-self' && req.method === 'GET') {
      const token = this.#authenticate(req);
      return [200, { ...envelope(), data: this.#describe(token) }];
    }
    if (req.path === 'auth/token/renew-self' && (req.method === 'POST' || req.method === 'PUT')) {
      return [200, { ...envelope(), auth: this.#renew(this.#authenticate(req), req.body) }];
    }
    const kv = /^([^/]+)\/data\/(.+)$/.exec(req.path);
    if (kv && req.method === 'GET') return this.#readKv(req, kv[1] ?? '', kv[2] ?? '');
    throw new FakeHttpError(404, [`no handler for route "${req.path}"`]);
  }

  #health(req: VaultFakeRequest): [number, unknown] {
    const standbyOk = req.query.standbyok === 'true';
    const perfOk = req.query.perfstandbyok === 'true';
    const status = {
      active: 200,
      standby: standbyOk ? 200 : 429,
      'performance-standby': perfOk ? 200 : 473,
      sealed: 503,
      uninitialized: 501,
    }[this.#state];
    return [
      status,
      {
        initialized: this.#state !== 'uninitialized',
        sealed: this.#state === 'sealed' || this.#state === 'uninitialized',
        standby: this.#state === 'standby' || this.#state === 'performance-standby',
        performance_standby: this.#state === 'performance-standby',
        replication_performance_mode: 'disabled',
        replication_dr_mode: 'disabled',
        server_time_utc: Math.floor(this.now() / 1000),
        version: this.#version,
        cluster_name: 'vault-fake',
        cluster_id: 'fake-cluster',
      },
    ];
  }

  #login(mount: string, body: unknown): unknown {
    const input = (body ?? {}) as Record<string, unknown>;
    if (mount === 'approle' || typeof input.role_id === 'string') {
      if (typeof input.role_id !== 'string' || input.role_id === '') {
        throw new FakeHttpError(400, ['missing role_id']);
      }
      const role = this.#approles.get(input.role_id);
      if (!role) throw new FakeHttpError(400, ['invalid role ID']);
      if (input.secret_id !== role.secretId) throw new FakeHttpError(400, ['invalid secret id']);
      return this.#authResponse(
        this.issueToken(role.token, `auth/${mount}/login`, { role_name: input.role_id }),
      );
    }
    if (typeof input.role !== 'string' || typeof input.jwt !== 'string') {
      throw new FakeHttpError(400, ['missing role or jwt']);
    }
    const role = this.#k8sRoles.get(input.role);
    if (!role) throw new FakeHttpError(400, [`invalid role name "${input.role}"`]);
    if (input.jwt !== role.jwt) throw new FakeHttpError(403, ['permission denied']);
    return this.#authResponse(this.issueToken(role.token, `auth/${mount}/login`, { role: input.role }));
  }

  #authResponse(tokenId: string): unknown {
    const t = this.#tokens.get(tokenId);
    if (!t) throw new FakeHttpError(500, ['token vanished']);
    return { ...envelope(), auth: this.#auth(t) };
  }

  #auth(t: TokenRecord): Record<string, unknown> {
    return {
      client_token: t.id,
      accessor: t.accessor,
      policies: t.policies,
      token_policies: t.policies,
      metadata: t.meta,
      lease_duration: this.#remainingSeconds(t),
      renewable: t.renewable,
      entity_id: '',
      token_type: 'service',
      orphan: true,
    };
  }

  #authenticate(req: VaultFakeRequest): TokenRecord {
    const t = req.token ? this.#tokens.get(req.token) : undefined;
    if (!t || (t.expiresAt !== undefined && t.expiresAt <= this.now())) {
      throw new FakeHttpError(403, ['permission denied']);
    }
    return t;
  }

  #remainingSeconds(t: TokenRecord): number {
    return t.expiresAt === undefined ? 0 : Math.max(0, Math.ceil((t.expiresAt - this.now()) / 1000));
  }

  #describe(t: TokenRecord): Record<string, unknown> {
    return {
      accessor: t.accessor,
      creation_time: Math.floor(t.issuedAt / 1000),
      creation_ttl: t.ttlSeconds,
      display_name: 'token',
      entity_id: '',
      expire_time: t.expiresAt === undefined ? null : new Date(t.expiresAt).toISOString(),
      explicit_max_ttl: t.maxTtlSeconds,
      id: t.id,
      issue_time: new Date(t.issuedAt).toISOString(),
      meta: t.meta,
      num_uses: 0,
      orphan: true,
      path: t.path,
      policies: t.policies,
      renewable: t.renewable,
      ttl: this.#remainingSeconds(t),
      type: 'service',
    };
  }

  #renew(t: TokenRecord, body: unknown): Record<string, unknown> {
    if (!t.renewable) throw new FakeHttpError(400, ['lease is not renewable']);
    const increment = parseDuration((body as { increment?: unknown } | undefined)?.increment) ?? t.ttlSeconds;
    let expiresAt = this.now() + increment * 1000;
    if (t.maxTtlSeconds > 0) expiresAt = Math.min(expiresAt, t.issuedAt + t.maxTtlSeconds * 1000);
    t.expiresAt = expiresAt;
    return this.#auth(t);
  }

  #readKv(req: VaultFakeRequest, mount: string, path: string): [number, unknown] {
    const token = this.#authenticate(req);
    const full = `${mount}/${path}`;
    if (token.readPrefixes && !token.readPrefixes.some((p) => full.startsWith(p))) {
      throw new FakeHttpError(403, ['permission denied']);
    }
    const versions = this.#kv.get(kvKey(req.namespace ?? '', mount, path));
    if (!versions || versions.length === 0) throw new FakeHttpError(404, []);
    const requested = req.query.version ? Number(req.query.version) : 0;
    const number = requested > 0 ? requested : versions.length;
    const v = versions[number - 1];
    if (!v) throw new FakeHttpError(404, []);
    const metadata = {
      created_time: v.createdTime,
      custom_metadata: null,
      deletion_time: v.deletionTime,
      destroyed: v.destroyed,
      version: number,
    };
    if (v.deletionTime !== '' || v.destroyed) return [404, { ...envelope(), data: { data: null, metadata } }];
    return [200, { ...envelope(), data: { data: v.data, metadata } }];
  }
}

function envelope(): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    wrap_info: null,
    warnings: null,
    auth: null,
  };
}

function kvKey(namespace: string, mount: string, path: string): string {
  return `${namespace.replace(/\/+$/, '')}|${mount}|${path}`;
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

/** Vault accepts durations as seconds (number or numeric string) or Go-style strings like `1h30m`. */
function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)([hms])/g)) {
    total += Number(n) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
  }
  return total;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
