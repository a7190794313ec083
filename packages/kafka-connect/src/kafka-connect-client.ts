/**
 * A client of the Kafka Connect REST API (Node fetch): idempotent deploys that check the plugin and
 * validate the config first, status, pause/resume/restart, delete and scale. Rebalances (409),
 * server errors (5xx) and network failures are retried with exponential backoff; everything else
 * becomes a {@link CdcError} saying what failed, where and what to do.
 */
import { CdcError, redactUrl, type CdcErrorCode } from '@cdc/core';
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { z } from 'zod';
import { MASK } from './connector-definition.js';
import type { KafkaSettings } from './kafka-connect-config.js';

/** Options of {@link KafkaConnectClient}. */
export interface KafkaConnectClientOptions {
  /** REST base URL, e.g. `http://connect:8083`. */
  url: string;
  /** Basic-auth credentials, when the REST API requires them. */
  username?: string;
  password?: string;
  /** Per-request timeout in ms. Default 30 000. */
  timeoutMs?: number;
  /** Retries of transient failures. Defaults: 6 attempts, 250 ms initial delay, 8 s at most. */
  retry?: { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** A fetch implementation (tests, proxies). Default: the global fetch. */
  fetch?: typeof fetch;
}

const connectorStateSchema = z.enum(['UNASSIGNED', 'RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'RESTARTING']);
/** State of a connector or task as Kafka Connect reports it. */
export type ConnectorState = z.infer<typeof connectorStateSchema>;

const taskStatusSchema = z.object({
  id: z.number().int(),
  state: connectorStateSchema,
  worker_id: z.string(),
  trace: z.string().optional(),
});

/** `GET /connectors/{name}/status`. */
export const connectorStatusSchema = z.object({
  name: z.string(),
  connector: z.object({ state: connectorStateSchema, worker_id: z.string(), trace: z.string().optional() }),
  tasks: z.array(taskStatusSchema),
  type: z.enum(['source', 'sink', 'unknown']).optional(),
});
export type ConnectorStatus = z.infer<typeof connectorStatusSchema>;

/** `GET /connector-plugins` entries. */
export const connectorPluginSchema = z.object({
  class: z.string(),
  type: z.string(),
  version: z.string().optional(),
});
export type ConnectorPlugin = z.infer<typeof connectorPluginSchema>;

/** `PUT /connector-plugins/{class}/config/validate`. */
export const configValidationSchema = z.object({
  name: z.string(),
  error_count: z.number().int(),
  groups: z.array(z.string()).default([]),
  configs: z.array(
    z
      .object({
        definition: z.object({ name: z.string() }).loose().optional(),
        value: z
          .object({
            name: z.string(),
            value: z.string().nullable().optional(),
            errors: z.array(z.string()).default([]),
          })
          .loose(),
      })
      .loose(),
  ),
});
export type ConfigValidation = z.infer<typeof configValidationSchema>;

const connectorInfoSchema = z.object({
  name: z.string(),
  config: z.record(z.string(), z.string()),
  tasks: z.array(z.object({ connector: z.string(), task: z.number().int() })).default([]),
  type: z.string().optional(),
});
export type ConnectorInfo = z.infer<typeof connectorInfoSchema>;

const serverInfoSchema = z.object({
  version: z.string(),
  commit: z.string().optional(),
  kafka_cluster_id: z.string().optional(),
});
export type ConnectServerInfo = z.infer<typeof serverInfoSchema>;

/** `GET /connectors/{name}/offsets` (KIP-875, Kafka 3.6+). */
export const connectorOffsetsSchema = z.object({
  offsets: z.array(
    z.object({
      partition: z.record(z.string(), z.unknown()),
      offset: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
});
export type ConnectorOffsets = z.infer<typeof connectorOffsetsSchema>;

const errorBodySchema = z.object({ error_code: z.number().optional(), message: z.string().optional() });

/** One field Kafka Connect rejected during validation. */
export interface FieldError {
  field: string;
  errors: string[];
}

/** One property a deploy would change (`from`/`to` masked for secrets; `undefined` = absent). */
export interface ConfigChange {
  key: string;
  from: string | undefined;
  to: string | undefined;
}

/** What {@link KafkaConnectClient.plan} found: what a deploy would do, and which properties change. */
export interface DeployPlan {
  name: string;
  action: 'create' | 'update' | 'unchanged';
  changes: ConfigChange[];
}

/** What {@link KafkaConnectClient.deploy} did. */
export interface DeployResult {
  name: string;
  action: 'created' | 'updated' | 'unchanged';
}

interface RequestOptions {
  body?: unknown;
  /** Statuses that are not errors for this call (e.g. 404 when probing). */
  accept?: number[];
  what: string;
}

interface HttpResult {
  status: number;
  body: unknown;
}

function isTransient(error: Error): boolean {
  return error instanceof CdcError && error.transient;
}

/** Replaces secret values that an error message might echo. */
function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(MASK);
  return out;
}

const SECRET_KEY = /pass(word)?|secret|token|credential|private\.key/i;

/**
 * The Kafka Connect REST client.
 *
 * @example
 * ```ts
 * const client = new KafkaConnectClient({ url: 'http://connect:8083' });
 * for (const c of renderConnectors(config)) await client.deploy(c);
 * console.log((await client.status('orders-sink')).connector.state);
 * ```
 */
export class KafkaConnectClient {
  readonly #base: string;
  readonly #display: string;
  readonly #auth: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #retry: RetryPolicy;

  constructor(options: KafkaConnectClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (cause) {
      throw new CdcError(
        'CONFIG_INVALID',
        `Kafka Connect URL "${redactUrl(options.url)}" is not a valid URL.`,
        {
          hint: 'Set kafka.connect.url to e.g. http://connect:8083.',
          cause,
        },
      );
    }
    if (parsed.username || parsed.password) {
      throw new CdcError(
        'CONFIG_INVALID',
        'Put Kafka Connect credentials in kafka.connect.username/password, not in the URL.',
      );
    }
    this.#base = options.url.replace(/\/+$/, '');
    this.#display = redactUrl(this.#base);
    this.#auth =
      options.username !== undefined
        ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`, 'utf8').toString('base64')}`
        : undefined;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
    this.#retry = retry(handleWhen(isTransient), {
      maxAttempts: (options.retry?.maxAttempts ?? 6) - 1,
      backoff: new ExponentialBackoff({
        initialDelay: options.retry?.initialDelayMs ?? 250,
        maxDelay: options.retry?.maxDelayMs ?? 8_000,
      }),
    });
  }

  /** A client for the `kafka.connect` settings of a configuration. */
  static fromSettings(
    kafka: KafkaSettings,
    overrides: Partial<KafkaConnectClientOptions> = {},
  ): KafkaConnectClient {
    return new KafkaConnectClient({
      url: kafka.connect.url,
      ...(kafka.connect.username !== undefined ? { username: kafka.connect.username } : {}),
      ...(kafka.connect.password !== undefined ? { password: kafka.connect.password } : {}),
      timeoutMs: kafka.connect.timeoutMs,
      ...overrides,
    });
  }

  /** `GET /`: worker version and Kafka cluster id. */
  async serverInfo(): Promise<ConnectServerInfo> {
    const res = await this.#request('GET', '/', { what: 'read the worker version' });
    return this.#parse(serverInfoSchema, res.body, 'GET /');
  }

  /** `GET /connectors`: names of deployed connectors. */
  async listConnectors(): Promise<string[]> {
    const res = await this.#request('GET', '/connectors', { what: 'list connectors' });
    return this.#parse(z.array(z.string()), res.body, 'GET /connectors');
  }

  /** `GET /connector-plugins`: installed connector plugins. */
  async listPlugins(): Promise<ConnectorPlugin[]> {
    const res = await this.#request('GET', '/connector-plugins', { what: 'list connector plugins' });
    return this.#parse(z.array(connectorPluginSchema), res.body, 'GET /connector-plugins');
  }

  /** Throws `CONFIG_INVALID` naming the installed plugins when `connectorClass` is not installed. */
  async ensurePlugin(connectorClass: string): Promise<ConnectorPlugin> {
    const plugins = await this.listPlugins();
    const found = plugins.find((p) => p.class === connectorClass);
    if (!found) {
      const installed = plugins.map((p) => p.class).join(', ') || 'none';
      throw new CdcError(
        'CONFIG_INVALID',
        `Connector plugin ${connectorClass} is not installed on the Kafka Connect cluster at ${this.#display} (installed: ${installed}).`,
        {
          hint: 'Install the plugin on every worker (see docker/connect/Dockerfile) and restart the workers.',
        },
      );
    }
    return found;
  }

  /** `PUT /connector-plugins/{class}/config/validate`: the raw validation result. */
  async validate(config: Record<string, string>): Promise<ConfigValidation> {
    const connectorClass = config['connector.class'];
    if (!connectorClass) {
      throw new CdcError('INVALID_ARGUMENT', 'A connector config needs a "connector.class" to be validated.');
    }
    const path = `/connector-plugins/${encodeURIComponent(connectorClass)}/config/validate`;
    const res = await this.#request('PUT', path, {
      body: config,
      what: `validate the ${connectorClass} config`,
    });
    return this.#parse(configValidationSchema, res.body, `PUT ${path}`);
  }

  /** Fields rejected in a validation result. */
  static fieldErrors(validation: ConfigValidation): FieldError[] {
    return validation.configs
      .filter((c) => c.value.errors.length > 0)
      .map((c) => ({ field: c.value.name, errors: c.value.errors }));
  }

  /** `GET /connectors/{name}/config`, or `undefined` when the connector does not exist. */
  async getConfig(name: string): Promise<Record<string, string> | undefined> {
    const res = await this.#request('GET', `/connectors/${this.#name(name)}/config`, {
      accept: [404],
      what: `read the config of connector ${name}`,
    });
    if (res.status === 404) return undefined;
    return this.#parse(z.record(z.string(), z.string()), res.body, `GET /connectors/${name}/config`);
  }

  /** `PUT /connectors/{name}/config`: creates or replaces the config. */
  async putConfig(
    name: string,
    config: Record<string, string>,
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    const res = await this.#request('PUT', `/connectors/${this.#name(name)}/config`, {
      body: { ...config, name },
      what: `write the config of connector ${name}`,
    });
    return {
      created: res.status === 201,
      info: this.#parse(connectorInfoSchema, res.body, `PUT /connectors/${name}/config`),
    };
  }

  /**
   * Creates or updates a connector idempotently: checks the plugin is installed, validates the config
   * (throwing `CONFIG_INVALID` with every field error), then writes it only if it differs.
   */
  async deploy(connector: {
    name: string;
    config: Record<string, string>;
    secretKeys?: readonly string[];
  }): Promise<DeployResult> {
    const desired: Record<string, string> = { ...connector.config, name: connector.name };
    const connectorClass = desired['connector.class'];
    if (!connectorClass) {
      throw new CdcError('INVALID_ARGUMENT', `Connector ${connector.name} has no "connector.class".`);
    }
    await this.ensurePlugin(connectorClass);
    const validation = await this.validate(desired);
    if (validation.error_count > 0) {
      const secrets = Object.entries(desired)
        .filter(([k]) => SECRET_KEY.test(k) || connector.secretKeys?.includes(k))
        .map(([, v]) => v);
      const lines = KafkaConnectClient.fieldErrors(validation).map(
        (f) => `  ${f.field}: ${redactText(f.errors.join('; '), secrets)}`,
      );
      throw new CdcError(
        'CONFIG_INVALID',
        `Kafka Connect rejected the config of connector ${connector.name} (${connectorClass}) with ${validation.error_count} error(s):\n${lines.join('\n')}`,
        {
          hint: 'Fix the listed properties in the pipeline (or its `properties` overrides) and deploy again.',
        },
      );
    }
    const existing = await this.getConfig(connector.name);
    if (existing && sameConfig(existing, desired)) return { name: connector.name, action: 'unchanged' };
    const { created } = await this.putConfig(connector.name, desired);
    return { name: connector.name, action: created ? 'created' : 'updated' };
  }

  /**
   * What {@link deploy} would do, without validating or writing anything: compares the desired config
   * with the deployed one. Values of secret properties (`secretKeys`, or names like *password*) are
   * masked in the changes.
   */
  async plan(connector: {
    name: string;
    config: Record<string, string>;
    secretKeys?: readonly string[];
  }): Promise<DeployPlan> {
    const desired: Record<string, string> = { ...connector.config, name: connector.name };
    const existing = await this.getConfig(connector.name);
    const mask = (key: string, value: string | undefined) =>
      value !== undefined && (SECRET_KEY.test(key) || connector.secretKeys?.includes(key)) ? MASK : value;
    const keys = [...new Set([...Object.keys(existing ?? {}), ...Object.keys(desired)])].sort();
    const changes = keys
      .filter((key) => existing?.[key] !== desired[key])
      .map((key) => ({ key, from: mask(key, existing?.[key]), to: mask(key, desired[key]) }));
    const action = existing === undefined ? 'create' : changes.length > 0 ? 'update' : 'unchanged';
    return { name: connector.name, action, changes };
  }

  /** `GET /connectors/{name}/status`. */
  async status(name: string): Promise<ConnectorStatus> {
    const res = await this.#request('GET', `/connectors/${this.#name(name)}/status`, {
      what: `read the status of connector ${name}`,
    });
    return this.#parse(connectorStatusSchema, res.body, `GET /connectors/${name}/status`);
  }

  /**
   * Polls the status until the connector and all its tasks are in `state` (a stopped connector has no
   * tasks). Throws `UPSTREAM_ERROR` with the first line of the trace as soon as anything is `FAILED`
   * (unless waiting for FAILED), and `TIMEOUT` with the last states seen.
   */
  async waitFor(
    name: string,
    state: ConnectorState,
    options: { timeoutMs?: number; intervalMs?: number } = {},
  ): Promise<ConnectorStatus> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const intervalMs = options.intervalMs ?? 1_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status(name);
      const failed = [
        ...(status.connector.state === 'FAILED' ? [`connector: ${firstLine(status.connector.trace)}`] : []),
        ...status.tasks.filter((t) => t.state === 'FAILED').map((t) => `task ${t.id}: ${firstLine(t.trace)}`),
      ];
      if (state !== 'FAILED' && failed.length > 0) {
        throw new CdcError(
          'UPSTREAM_ERROR',
          `Connector ${name} failed while waiting for ${state}:\n  ${failed.join('\n  ')}`,
          {
            hint: 'Fix the cause shown in the trace, then `cdc connectors restart`.',
          },
        );
      }
      const tasksReady = state === 'STOPPED' ? status.tasks.length === 0 : status.tasks.length > 0;
      if (status.connector.state === state && tasksReady && status.tasks.every((t) => t.state === state)) {
        return status;
      }
      if (Date.now() >= deadline) {
        const seen = [status.connector.state, ...status.tasks.map((t) => `task ${t.id} ${t.state}`)].join(
          ', ',
        );
        throw new CdcError(
          'TIMEOUT',
          `Connector ${name} did not reach ${state} within ${timeoutMs} ms (now: ${seen}).`,
          {
            hint: 'Check `cdc connectors status` and the worker logs; rebalances can take a while on busy clusters.',
            transient: true,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** `PUT /connectors/{name}/pause`. Asynchronous on the worker: poll {@link status} for `PAUSED`. */
  async pause(name: string): Promise<void> {
    await this.#request('PUT', `/connectors/${this.#name(name)}/pause`, { what: `pause connector ${name}` });
  }

  /** `PUT /connectors/{name}/resume`. */
  async resume(name: string): Promise<void> {
    await this.#request('PUT', `/connectors/${this.#name(name)}/resume`, {
      what: `resume connector ${name}`,
    });
  }

  /**
   * `PUT /connectors/{name}/stop` (KIP-875, Kafka 3.5+): keeps the config, shuts every task down. A
   * stopped connector's offsets can be read and reset; `resume` starts it again.
   */
  async stop(name: string): Promise<void> {
    await this.#request('PUT', `/connectors/${this.#name(name)}/stop`, { what: `stop connector ${name}` });
  }

  /** `GET /connectors/{name}/offsets` (Kafka 3.6+): the committed source offsets or sink positions. */
  async offsets(name: string): Promise<ConnectorOffsets> {
    const res = await this.#request('GET', `/connectors/${this.#name(name)}/offsets`, {
      what: `read the offsets of connector ${name}`,
    });
    return this.#parse(connectorOffsetsSchema, res.body, `GET /connectors/${name}/offsets`);
  }

  /**
   * `DELETE /connectors/{name}/offsets` (Kafka 3.6+): forgets where the connector was. A source then
   * starts over as its snapshot mode says (Debezium `initial`: a new snapshot); a sink re-reads its
   * topics from the earliest offset. The connector must be stopped first.
   */
  async resetOffsets(name: string): Promise<void> {
    const state = (await this.status(name)).connector.state;
    if (state !== 'STOPPED') {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `Connector ${name} is ${state}; offsets can only be reset while it is STOPPED.`,
        {
          hint: 'Stop it first (`cdc connectors stop`), reset, then `cdc connectors resume`.',
        },
      );
    }
    await this.#request('DELETE', `/connectors/${this.#name(name)}/offsets`, {
      what: `reset the offsets of connector ${name}`,
    });
  }

  /**
   * `POST /connectors/{name}/restart?includeTasks=…&onlyFailed=…` (KIP-745). By default restarts the
   * connector and its failed tasks and returns the status with the instances being restarted.
   */
  async restart(
    name: string,
    options: { includeTasks?: boolean; onlyFailed?: boolean } = {},
  ): Promise<ConnectorStatus | undefined> {
    const includeTasks = options.includeTasks ?? true;
    const onlyFailed = options.onlyFailed ?? true;
    const path = `/connectors/${this.#name(name)}/restart?includeTasks=${includeTasks}&onlyFailed=${onlyFailed}`;
    const res = await this.#request('POST', path, { what: `restart connector ${name}` });
    if (res.status === 204 || res.body === undefined) return undefined;
    return this.#parse(connectorStatusSchema, res.body, `POST ${path}`);
  }

  /** `DELETE /connectors/{name}`. Returns `false` when there was nothing to delete. */
  async delete(name: string): Promise<boolean> {
    const res = await this.#request('DELETE', `/connectors/${this.#name(name)}`, {
      accept: [404],
      what: `delete connector ${name}`,
    });
    return res.status !== 404;
  }

  /**
   * Sets `tasks.max` of a deployed connector (read, change, write). Debezium's SQL Server connector
   * runs at most one task per database in `database.names`, so asking for more is refused.
   */
  async scale(name: string, tasksMax: number): Promise<DeployResult> {
    if (!Number.isInteger(tasksMax) || tasksMax < 1) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `tasks.max must be a positive integer, got ${String(tasksMax)}.`,
      );
    }
    const existing = await this.getConfig(name);
    if (!existing) {
      throw new CdcError('INVALID_ARGUMENT', `Connector ${name} does not exist on ${this.#display}.`, {
        hint: 'Deploy it first with `cdc connectors deploy`.',
      });
    }
    if (existing['connector.class'] === 'io.debezium.connector.sqlserver.SqlServerConnector') {
      const databases = (existing['database.names'] ?? '').split(',').filter(Boolean).length || 1;
      if (tasksMax > databases) {
        throw new CdcError(
          'INVALID_ARGUMENT',
          `Connector ${name} captures ${databases} database(s); the SQL Server connector runs at most one task per database.`,
          { hint: 'Scale the sink instead, or split the capture over more databases.' },
        );
      }
    }
    if (existing['tasks.max'] === String(tasksMax)) return { name, action: 'unchanged' };
    await this.putConfig(name, { ...existing, 'tasks.max': String(tasksMax) });
    return { name, action: 'updated' };
  }

  #name(name: string): string {
    if (!name || name.includes('/')) {
      throw new CdcError('INVALID_ARGUMENT', `"${name}" is not a valid connector name.`);
    }
    return encodeURIComponent(name);
  }

  #parse<T>(schema: z.ZodType<T>, body: unknown, call: string): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new CdcError(
        'UPSTREAM_ERROR',
        `Unexpected response from Kafka Connect at ${this.#display} to ${call}.`,
        {
          hint: 'Check that kafka.connect.url points at a Kafka Connect REST endpoint (2.6 or later).',
          cause: parsed.error,
        },
      );
    }
    return parsed.data;
  }

  async #request(method: string, path: string, options: RequestOptions): Promise<HttpResult> {
    return this.#retry.execute(() => this.#once(method, path, options));
  }

  async #once(method: string, path: string, options: RequestOptions): Promise<HttpResult> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (this.#auth) headers.authorization = this.#auth;
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      const timedOut =
        cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      throw new CdcError(
        timedOut ? 'TIMEOUT' : 'CONNECTION_FAILED',
        timedOut
          ? `Kafka Connect at ${this.#display} did not answer within ${this.#timeoutMs} ms (${method} ${path}).`
          : `Cannot reach Kafka Connect at ${this.#display} to ${options.what}: ${networkReason(cause)}.`,
        {
          hint: 'Check kafka.connect.url and that the workers are up (`docker compose ps connect`).',
          transient: true,
          cause,
        },
      );
    }
    const text = await response.text();
    let body: unknown;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (response.ok || options.accept?.includes(response.status)) return { status: response.status, body };
    const parsed = errorBodySchema.safeParse(body);
    const detail =
      parsed.success && parsed.data.message
        ? parsed.data.message
        : typeof body === 'string'
          ? body.slice(0, 300)
          : '';
    throw this.#httpError(response.status, method, path, options.what, detail);
  }

  #httpError(status: number, method: string, path: string, what: string, detail: string): CdcError {
    const where = `Kafka Connect at ${this.#display} (${method} ${path}, HTTP ${status})`;
    const suffix = detail ? `: ${detail}` : '';
    if (status === 409) {
      return new CdcError(
        'UPSTREAM_ERROR',
        `Could not ${what}: the Connect cluster is rebalancing; ${where}${suffix}.`,
        {
          hint: 'Retried with backoff; if it persists, check that the workers agree on group.id and are not restarting in a loop.',
          transient: true,
        },
      );
    }
    if (status >= 500) {
      return new CdcError('UPSTREAM_ERROR', `Could not ${what}: server error from ${where}${suffix}.`, {
        hint: 'Retried with backoff; read the worker logs (`docker compose logs connect`).',
        transient: true,
      });
    }
    const codes: Record<number, [CdcErrorCode, string]> = {
      400: ['CONFIG_INVALID', 'Fix the request; the message above says which property is wrong.'],
      401: ['AUTH_FAILED', 'Set kafka.connect.username and kafka.connect.password.'],
      403: ['PERMISSION_DENIED', 'The REST user lacks permission for this operation.'],
      404: ['INVALID_ARGUMENT', 'Check the connector name (`cdc connectors status`) or deploy it first.'],
    };
    const [code, hint] =
      codes[status] ?? (['UPSTREAM_ERROR', 'See the worker logs.'] as [CdcErrorCode, string]);
    return new CdcError(code, `Could not ${what}: ${where}${suffix}.`, { hint });
  }
}

function firstLine(trace: string | undefined): string {
  return (trace ?? 'no trace').split('\n')[0] ?? '';
}

/** fetch wraps the socket error (ECONNREFUSED, ENOTFOUND…) in `cause`; that is the useful part. */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (inner && typeof inner.code === 'string') return `${error.message} (${inner.code})`;
  return error.message;
}

function sameConfig(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
