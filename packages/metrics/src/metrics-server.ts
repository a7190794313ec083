/**
 * The worker's HTTP endpoints: `/metrics` (Prometheus exposition), `/healthz` (liveness: the process
 * answers), `/readyz` (readiness: every registered check passes, with a structured JSON report and
 * 503 when not ready), when given the versioned JSON status `/api/v1/status`, and any further read-only
 * routes (the web console). An optional bearer token guards `/` and `/api/`; the probes and `/metrics` stay
 * open. Failing to bind the port is a startup error, never a silent degradation.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { CdcError } from '@cdc/core';
import { redactText } from './log-redaction.js';

/** What a readiness check returns; throwing counts as not ready with the error's message. */
export interface ReadinessResult {
  ok: boolean;
  /** Short human-readable detail (e.g. `lag 3s`, `sealed`); never a secret. */
  detail?: string;
}

/** A named readiness check (a database connection, a pipeline, Vault…). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<ReadinessResult> | ReadinessResult;
}

/** One entry of the `/readyz` report. */
export interface ReadinessCheckReport {
  name: string;
  ok: boolean;
  detail?: string;
  latencyMs: number;
}

/** The `/readyz` body. */
export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: ReadinessCheckReport[];
}

/** Path of the JSON status document ({@link MetricsServerOptions.status}). */
export const STATUS_PATH = '/api/v1/status';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  registry: Registry;
  /** TCP port; `0` picks a free one (tests). */
  port: number;
  /** Interface to bind. Default `0.0.0.0`. */
  host?: string;
  readinessChecks?: ReadinessCheck[];
  /** Per-check timeout in ms; a check that takes longer is not ready. Default 2000. */
  readinessTimeoutMs?: number;
  /**
   * The JSON document of `GET /api/v1/status` (a small, versioned status of the service; the worker's is
   * described in `docs/metrics.md`). Without it the path answers 404.
   */
  status?: () => Promise<unknown> | unknown;
  /**
   * Further read-only GET routes (e.g. the web console), asked for any other path; `undefined` means not
   * mine (404).
   */
  routes?: (request: HttpRouteRequest) => Promise<HttpRouteAnswer | undefined> | HttpRouteAnswer | undefined;
  /**
   * A bearer token that every path except `/healthz`, `/readyz` and `/metrics` requires, as
   * `Authorization: Bearer <token>` or the cookie a browser gets from `/?token=<token>`. Unset: open.
   */
  token?: string;
}

/** A GET request to one of {@link MetricsServerOptions.routes}. */
export interface HttpRouteRequest {
  path: string;
  query: URLSearchParams;
}

/** The answer of a route: a body with its content type. */
export interface HttpRouteAnswer {
  status?: number;
  contentType: string;
  body: string | Uint8Array;
  /** Extra headers (e.g. `cache-control`). */
  headers?: Record<string, string>;
}

/** The cookie that carries the token for a browser, after it opened `/?token=…` once. */
export const TOKEN_COOKIE = 'cdc_console_token';

/** The paths that never need the token (probes and Prometheus scrapes). */
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** A running metrics server. */
export interface MetricsServer {
  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  readonly port: number;
  /** Adds a readiness check at runtime (e.g. when a pipeline starts). */
  addReadinessCheck(check: ReadinessCheck): void;
  /** Runs the readiness checks (what `/readyz` serves). */
  readiness(): Promise<ReadinessReport>;
  close(): Promise<void>;
}

/**
 * Starts the HTTP server and resolves once it listens.
 *
 * @throws CdcError `CONFIG_INVALID` when the port is in use or may not be bound
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const checks = [...(options.readinessChecks ?? [])];
  const timeoutMs = options.readinessTimeoutMs ?? 2000;
  const host = options.host ?? '0.0.0.0';
  const started = Date.now();

  const readiness = async (): Promise<ReadinessReport> => {
    const reports = await Promise.all(checks.map((c) => runCheck(c, timeoutMs)));
    return { status: reports.every((r) => r.ok) ? 'ready' : 'not_ready', checks: reports };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (options.token !== undefined && !OPEN_PATHS.has(path)) {
      const given = url.searchParams.get('token');
      if (path === '/' && given !== null && sameSecret(given, options.token)) {
        // Once, from a link: the token moves into a cookie and out of the address bar (and history).
        res
          .writeHead(303, {
            location: '/',
            'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`,
            'cache-control': 'no-store',
          })
          .end();
        return;
      }
      if (!authorized(req, options.token)) {
        res.writeHead(401, {
          'www-authenticate': 'Bearer realm="cdc"',
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(
          `${JSON.stringify({ error: 'unauthorized', hint: 'send Authorization: Bearer <metrics.token>, or open /?token=<metrics.token> once' })}\n`,
        );
        return;
      }
    }
    if (path === '/metrics') {
      const body = await options.registry.metrics();
      res
        .writeHead(200, { 'content-type': options.registry.contentType })
        .end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/healthz') {
      json(res, 200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) });
      return;
    }
    if (path === '/readyz') {
      const report = await readiness();
      json(res, report.status === 'ready' ? 200 : 503, report);
      return;
    }
    if (path === STATUS_PATH && options.status) {
      json(res, 200, await options.status());
      return;
    }
    const answer = options.routes ? await options.routes({ path, query: url.searchParams }) : undefined;
    if (answer) {
      res.writeHead(answer.status ?? 200, {
        'content-type': answer.contentType,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        ...answer.headers,
      });
      res.end(req.method === 'HEAD' ? undefined : answer.body);
      return;
    }
    json(res, 404, {
      error: 'not found',
      endpoints: ['/metrics', '/healthz', '/readyz', ...(options.status ? [STATUS_PATH] : [])],
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        json(res, 500, { error: redactText(error instanceof Error ? error.message : String(error)) });
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `${host}:${options.port}`;
      const hint =
        error.code === 'EADDRINUSE'
          ? 'another process listens there: stop it or set metrics.port to a free port'
          : error.code === 'EACCES'
            ? 'ports below 1024 need privileges: choose a port above 1024'
            : 'check metrics.host and metrics.port';
      reject(
        new CdcError(
          'CONFIG_INVALID',
          `cannot start the metrics server on ${where}: ${error.code ?? error.message}`,
          {
            hint,
            cause: error,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    addReadinessCheck: (check) => {
      checks.push(check);
    },
    readiness,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessCheckReport> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => check.check()),
      new Promise<ReadinessResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      }),
    ]);
    return {
      name: check.name,
      ok: result.ok === true,
      ...(result.detail === undefined ? {} : { detail: redactText(result.detail) }),
      latencyMs: elapsed(t0),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name: check.name, ok: false, detail: redactText(message), latencyMs: elapsed(t0) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ') && sameSecret(header.slice(7).trim(), token)) return true;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) {
      try {
        if (sameSecret(decodeURIComponent(value.join('=')), token)) return true;
      } catch {
        return false;
      }
    }
  }
  return false;
}

function elapsed(t0: number): number {
  return Math.round((performance.now() - t0) * 10) / 10;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}
