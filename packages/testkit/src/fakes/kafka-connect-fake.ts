/**
 * A FAKE of the documented Kafka Connect REST API (Apache Kafka "Connect REST Interface", KIP-745
 * restarts), for tests only. It keeps connectors in memory on a node:http server bound to 127.0.0.1,
 * answers with the documented status codes and bodies, and lets tests inject what a real cluster does
 * under stress: 409 during rebalances, 500s, dropped connections, validation errors, failed tasks.
 * It runs no connector; it is not Kafka Connect.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A connector plugin the fake claims to have installed. */
export interface FakeConnectorPlugin {
  class: string;
  type: 'source' | 'sink';
  version: string;
  /** Properties validation reports as missing when absent. */
  required?: string[];
  /** Most tasks the plugin starts whatever `tasks.max` says (SQL Server: 1 per database). */
  maxTasks?: number;
}

/** A failure to answer instead of the next matching request(s). */
export interface InjectedFailure {
  /** HTTP status to answer with, or `'reset'` to drop the connection without answering. */
  status: number | 'reset';
  /** Only requests with this method. Default: any. */
  method?: string;
  /** Only requests whose path (without query) matches. Default: any. */
  path?: string | RegExp;
  /** How many matching requests fail. Default 1. */
  times?: number;
  /** Error message in the body. Default: the message Kafka Connect uses for that status. */
  message?: string;
}

type State = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';

interface FakeTask {
  id: number;
  state: State;
  trace?: string;
}

/** What the fake stores per connector. */
export interface FakeConnector {
  name: string;
  config: Record<string, string>;
  type: 'source' | 'sink';
  state: State;
  trace?: string;
  tasks: FakeTask[];
  /** Committed offsets (`GET /connectors/{name}/offsets`, KIP-875). */
  offsets: { partition: Record<string, unknown>; offset: Record<string, unknown> }[];
}

/** A request the fake received (for assertions). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** Options of {@link KafkaConnectFake.start}. */
export interface KafkaConnectFakeOptions {
  plugins?: FakeConnectorPlugin[];
  /** `worker_id` reported in statuses. Default `127.0.0.1:8083`. */
  workerId?: string;
  /** Kafka version reported by `GET /`. Default `3.9.0`. */
  version?: string;
}

/** The plugins of cdc's scale-out stack (Debezium SQL Server, ScyllaDB CDC, Debezium JDBC sink). */
export const DEFAULT_FAKE_PLUGINS: FakeConnectorPlugin[] = [
  {
    class: 'io.debezium.connector.sqlserver.SqlServerConnector',
    type: 'source',
    version: '3.1.2.Final',
    required: ['database.hostname', 'database.names', 'topic.prefix'],
    maxTasks: 1,
  },
  {
    class: 'com.scylladb.cdc.debezium.connector.ScyllaConnector',
    type: 'source',
    version: '1.2.6',
    required: ['scylla.cluster.ip.addresses', 'scylla.table.names'],
  },
  {
    class: 'io.debezium.connector.jdbc.JdbcSinkConnector',
    type: 'sink',
    version: '3.1.2.Final',
    required: ['connection.url'],
  },
];

const DEFAULT_MESSAGES: Record<number, string> = {
  409: 'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)',
  500: 'Request timed out',
  503: 'Service Unavailable',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A fake Kafka Connect REST endpoint for tests.
 *
 * @example
 * ```ts
 * const connect = await KafkaConnectFake.start();
 * connect.failNext({ status: 409, method: 'PUT' });
 * const client = new KafkaConnectClient({ url: connect.url });
 * await connect.close();
 * ```
 */
export class KafkaConnectFake {
  readonly #server: Server;
  readonly #connectors = new Map<string, FakeConnector>();
  readonly #plugins: FakeConnectorPlugin[];
  readonly #failures: (InjectedFailure & { remaining: number })[] = [];
  readonly #validationErrors = new Map<string, Record<string, string[]>>();
  readonly #stoppedTaskCounts = new Map<string, number>();
  readonly #workerId: string;
  readonly #version: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];

  private constructor(server: Server, options: KafkaConnectFakeOptions) {
    this.#server = server;
    this.#plugins = [...(options.plugins ?? DEFAULT_FAKE_PLUGINS)];
    this.#workerId = options.workerId ?? '127.0.0.1:8083';
    this.#version = options.version ?? '3.9.0';
  }

  /** Starts the fake on a free port of 127.0.0.1. */
  static async start(options: KafkaConnectFakeOptions = {}): Promise<KafkaConnectFake> {
    const holder: { fake?: KafkaConnectFake } = {};
    const server = createServer((req, res) => {
      void holder.fake?.handle(req, res);
    });
    const fake = new KafkaConnectFake(server, options);
    holder.fake = fake;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    const address = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** Stops the server. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Answers the next matching request(s) with a failure instead of serving them. */
  failNext(failure: InjectedFailure): void {
    this.#failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  /** Drops failures injected with {@link failNext} that have not fired yet. */
  clearFailures(): void {
    this.#failures.length = 0;
  }

  /** Makes validation of `connectorClass` report these per-field errors (until cleared with `{}`). */
  setValidationErrors(connectorClass: string, errors: Record<string, string[]>): void {
    this.#validationErrors.set(connectorClass, errors);
  }

  /** Marks a task FAILED with a stack trace, as a worker reports a crashed task. */
  failTask(
    name: string,
    taskId: number,
    trace = 'org.apache.kafka.connect.errors.ConnectException: fake failure',
  ): void {
    const task = this.#require(name).tasks.find((t) => t.id === taskId);
    if (!task) throw new Error(`fake: connector ${name} has no task ${taskId}`);
    task.state = 'FAILED';
    task.trace = trace;
  }

  /** Marks the connector instance itself FAILED. */
  failConnector(
    name: string,
    trace = 'org.apache.kafka.connect.errors.ConnectException: fake failure',
  ): void {
    const c = this.#require(name);
    c.state = 'FAILED';
    c.trace = trace;
  }

  /** Sets the committed offsets of a connector, as if its tasks had run. */
  setOffsets(name: string, offsets: FakeConnector['offsets']): void {
    this.#require(name).offsets = structuredClone(offsets);
  }

  /** Installs a plugin, or with `remove`, uninstalls one. */
  setPlugin(plugin: FakeConnectorPlugin, remove = false): void {
    const i = this.#plugins.findIndex((p) => p.class === plugin.class);
    if (i >= 0) this.#plugins.splice(i, 1);
    if (!remove) this.#plugins.push(plugin);
  }

  /** A stored connector, for assertions. */
  connector(name: string): FakeConnector | undefined {
    const c = this.#connectors.get(name);
    return c && structuredClone(c);
  }

  #require(name: string): FakeConnector {
    const c = this.#connectors.get(name);
    if (!c) throw new HttpError(404, `Connector ${name} not found`);
    return c;
  }

  #plugin(name: string): FakeConnectorPlugin | undefined {
    return this.#plugins.find((p) => p.class === name || p.class.endsWith(`.${name}`));
  }

  /** @internal The request handler (public only so the server callback can reach it). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, { error_code: 400, message: 'Unrecognized request entity: not valid JSON' });
      }
    }
    const path = url.pathname;
    this.requests.push({ method, path, query: Object.fromEntries(url.searchParams), body });

    const failure = this.#failures.find(
      (f) =>
        f.remaining > 0 &&
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? f.path === path : f.path.test(path))),
    );
    if (failure) {
      failure.remaining -= 1;
      if (failure.status === 'reset') {
        req.socket.destroy();
        return;
      }
      const message = failure.message ?? DEFAULT_MESSAGES[failure.status] ?? 'Injected failure';
      return send(res, failure.status, { error_code: failure.status, message });
    }

    try {
      const [status, payload] = this.#route(method, path, url.searchParams, body);
      send(res, status, payload);
    } catch (error) {
      if (error instanceof HttpError)
        send(res, error.status, { error_code: error.status, message: error.message });
      else send(res, 500, { error_code: 500, message: String(error) });
    }
  }

  #route(method: string, path: string, query: URLSearchParams, body: unknown): [number, unknown] {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts.length === 0 && method === 'GET') {
      return [200, { version: this.#version, commit: 'fake0000', kafka_cluster_id: 'fake-cluster' }];
    }
    if (parts[0] === 'connector-plugins') {
      if (parts.length === 1 && method === 'GET') {
        return [200, this.#plugins.map((p) => ({ class: p.class, type: p.type, version: p.version }))];
      }
      if (parts.length === 4 && parts[2] === 'config' && parts[3] === 'validate' && method === 'PUT') {
        return [200, this.#validate(parts[1] ?? '', asConfig(body))];
      }
    }
    if (parts[0] === 'connectors') {
      if (parts.length === 1 && method === 'GET') return [200, [...this.#connectors.keys()].sort()];
      if (parts.length === 1 && method === 'POST') {
        const b = body as { name?: unknown; config?: unknown } | undefined;
        if (typeof b?.name !== 'string') throw new HttpError(400, 'Connector name must be provided');
        if (this.#connectors.has(b.name)) throw new HttpError(409, `Connector ${b.name} already exists`);
        return [201, this.#info(this.#upsert(b.name, asConfig(b.config)))];
      }
      const name = parts[1] ?? '';
      const sub = parts[2];
      if (parts.length === 2 && method === 'GET') return [200, this.#info(this.#require(name))];
      if (parts.length === 2 && method === 'DELETE') {
        this.#require(name);
        this.#connectors.delete(name);
        return [204, undefined];
      }
      if (sub === 'config' && method === 'GET') return [200, { ...this.#require(name).config }];
      if (sub === 'config' && method === 'PUT') {
        const config = asConfig(body);
        if (config.name !== undefined && config.name !== name) {
          throw new HttpError(
            400,
            `Connector name configuration (${config.name}) doesn't match connector name in the URL (${name})`,
          );
        }
        const existed = this.#connectors.has(name);
        const c = this.#upsert(name, { ...config, name });
        return [existed ? 200 : 201, this.#info(c)];
      }
      if (sub === 'status' && method === 'GET') return [200, this.#status(this.#require(name))];
      if (sub === 'tasks' && method === 'GET') {
        const c = this.#require(name);
        return [200, c.tasks.map((t) => ({ id: { connector: name, task: t.id }, config: { ...c.config } }))];
      }
      if (sub === 'pause' && method === 'PUT') {
        this.#setAll(this.#require(name), 'PAUSED');
        return [202, undefined];
      }
      if (sub === 'resume' && method === 'PUT') {
        const c = this.#require(name);
        const stopped = this.#stoppedTaskCounts.get(name);
        if (c.state === 'STOPPED' && stopped !== undefined) {
          c.tasks = Array.from({ length: stopped }, (_, id) => ({ id, state: 'RUNNING' as State }));
          this.#stoppedTaskCounts.delete(name);
        }
        this.#setAll(c, 'RUNNING');
        return [202, undefined];
      }
      // KIP-875: a stopped connector keeps its config but runs no tasks; only then may offsets change.
      if (sub === 'stop' && method === 'PUT') {
        const c = this.#require(name);
        if (c.state !== 'STOPPED') this.#stoppedTaskCounts.set(name, c.tasks.length);
        c.state = 'STOPPED';
        delete c.trace;
        c.tasks = [];
        return [204, undefined];
      }
      if (sub === 'offsets' && method === 'GET')
        return [200, { offsets: structuredClone(this.#require(name).offsets) }];
      if (sub === 'offsets' && method === 'DELETE') {
        const c = this.#require(name);
        if (c.state !== 'STOPPED') {
          throw new HttpError(
            400,
            `Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/${name}/stop' endpoint`,
          );
        }
        c.offsets = [];
        return [200, { message: 'The offsets for this connector have been reset successfully' }];
      }
      if (sub === 'restart' && method === 'POST') return this.#restart(this.#require(name), query);
    }
    throw new HttpError(404, `HTTP 404 Not Found: ${method} ${path}`);
  }

  #upsert(name: string, config: Record<string, string>): FakeConnector {
    const cls = config['connector.class'];
    const plugin = cls ? this.#plugin(cls) : undefined;
    if (!cls || !plugin) {
      throw new HttpError(
        400,
        `Failed to find any class that implements Connector and which name matches ${cls ?? 'null'}`,
      );
    }
    const errors = this.#errors(plugin, config);
    if (errors.length > 0) {
      const lines = errors.map(([field, msg]) => `Invalid value for configuration ${field}: ${msg}`);
      throw new HttpError(
        400,
        `Connector configuration is invalid and contains the following ${errors.length} error(s):\n${lines.join('\n')}\nYou can also find the above list of errors at the endpoint \`/connector-plugins/{connectorType}/config/validate\``,
      );
    }
    const requested = Number.parseInt(config['tasks.max'] ?? '1', 10);
    const count = Math.max(1, Math.min(Number.isNaN(requested) ? 1 : requested, plugin.maxTasks ?? Infinity));
    const connector: FakeConnector = {
      name,
      config: { ...config, name },
      type: plugin.type,
      state: 'RUNNING',
      tasks: Array.from({ length: count }, (_, id) => ({ id, state: 'RUNNING' as State })),
      offsets: this.#connectors.get(name)?.offsets ?? [],
    };
    this.#connectors.set(name, connector);
    return connector;
  }

  #errors(plugin: FakeConnectorPlugin, config: Record<string, string>): [string, string][] {
    const out: [string, string][] = [];
    for (const key of plugin.required ?? []) {
      if (config[key] === undefined || config[key] === '') {
        out.push([key, `Missing required configuration "${key}" which has no default value.`]);
      }
    }
    const tasksMax = config['tasks.max'];
    if (tasksMax !== undefined && !/^[1-9]\d*$/.test(tasksMax)) {
      out.push([
        'tasks.max',
        `Invalid value ${tasksMax} for configuration tasks.max: Not a number of type INT`,
      ]);
    }
    for (const [field, messages] of Object.entries(this.#validationErrors.get(plugin.class) ?? {})) {
      for (const m of messages) out.push([field, m]);
    }
    return out;
  }

  #validate(pluginName: string, config: Record<string, string>): unknown {
    const plugin = this.#plugin(pluginName);
    if (!plugin) {
      throw new HttpError(
        400,
        `Failed to find any class that implements Connector and which name matches ${pluginName}`,
      );
    }
    const included = config['connector.class'];
    if (included !== undefined && this.#plugin(included)?.class !== plugin.class) {
      throw new HttpError(
        400,
        `Included connector type ${included} does not match request type ${pluginName}`,
      );
    }
    const errors = this.#errors(plugin, config);
    const keys = [
      ...new Set([...Object.keys(config), ...(plugin.required ?? []), ...errors.map(([k]) => k)]),
    ];
    return {
      name: plugin.class,
      error_count: errors.length,
      groups: ['Common', 'Transforms', 'Error Handling', 'Connector'],
      configs: keys.map((key) => ({
        definition: {
          name: key,
          type: /password/i.test(key) ? 'PASSWORD' : 'STRING',
          required: plugin.required?.includes(key) ?? false,
          default_value: null,
          importance: 'HIGH',
          documentation: '',
          group: 'Connector',
          width: 'NONE',
          display_name: key,
          dependents: [],
          order: -1,
        },
        value: {
          name: key,
          // Connect hides PASSWORD values in validation results.
          value: config[key] === undefined ? null : /password/i.test(key) ? '[hidden]' : config[key],
          recommended_values: [],
          errors: errors.filter(([k]) => k === key).map(([, m]) => m),
          visible: true,
        },
      })),
    };
  }

  #info(c: FakeConnector): unknown {
    return {
      name: c.name,
      config: { ...c.config },
      tasks: c.tasks.map((t) => ({ connector: c.name, task: t.id })),
      type: c.type,
    };
  }

  #status(c: FakeConnector): unknown {
    return {
      name: c.name,
      connector: { state: c.state, worker_id: this.#workerId, ...(c.trace ? { trace: c.trace } : {}) },
      tasks: c.tasks.map((t) => ({
        id: t.id,
        state: t.state,
        worker_id: this.#workerId,
        ...(t.trace ? { trace: t.trace } : {}),
      })),
      type: c.type,
    };
  }

  #setAll(c: FakeConnector, state: State): void {
    c.state = state;
    delete c.trace;
    for (const t of c.tasks) {
      t.state = state;
      delete t.trace;
    }
  }

  /** KIP-745: 204 for the legacy connector-only restart, else 202 with the instances restarting. */
  #restart(c: FakeConnector, query: URLSearchParams): [number, unknown] {
    const includeTasks = query.get('includeTasks') === 'true';
    const onlyFailed = query.get('onlyFailed') === 'true';
    if (!includeTasks && !onlyFailed) {
      c.state = 'RUNNING';
      delete c.trace;
      return [204, undefined];
    }
    const restartConnector = !onlyFailed || c.state === 'FAILED';
    const restartTasks = includeTasks ? c.tasks.filter((t) => !onlyFailed || t.state === 'FAILED') : [];
    if (restartConnector) {
      c.state = 'RESTARTING';
      delete c.trace;
    }
    for (const t of restartTasks) {
      t.state = 'RESTARTING';
      delete t.trace;
    }
    const body = this.#status(c);
    // The worker finishes the restart asynchronously; the next status read sees it done.
    if (c.state === 'RESTARTING') c.state = 'RUNNING';
    for (const t of restartTasks) t.state = 'RUNNING';
    return [202, body];
  }
}

function asConfig(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'Connector config must be a JSON object');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v !== 'string') {
      throw new HttpError(500, `Cannot deserialize value of type \`java.lang.String\` for key ${k}`);
    }
    out[k] = v;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (payload === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(payload);
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}
