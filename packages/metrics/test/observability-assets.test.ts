/**
 * The docker observability assets against the metric catalog: Prometheus config and alert rules
 * (`promtool check` and `promtool test rules` when promtool is installed), Grafana provisioning and
 * dashboards (valid JSON/YAML, only catalog or default process metrics, valid PromQL).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { METRIC_CATALOG, createCdcMetrics } from '../src/index.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const prometheusDir = join(root, 'docker/prometheus');
const grafanaDir = join(root, 'docker/grafana');

const promtool = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'promtool'))
  .find((candidate) => existsSync(candidate));
if (!promtool) {
  console.warn(
    '[cdc] promtool not found on PATH: skipping `promtool check rules` / `promtool test rules`. ' +
      'Install it with `apt-get install prometheus` (Debian/Ubuntu) to run them.',
  );
}

/** Every metric name a PromQL expression may use: the catalog (with histogram series) and defaults. */
async function knownMetricNames(): Promise<Set<string>> {
  const names = new Set<string>(['up']);
  for (const m of METRIC_CATALOG) {
    names.add(m.name);
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  const metrics = createCdcMetrics();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    // prom-client types `type` as a numeric enum but serializes the string name
    if (String(m.type) === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

/** Metric-like identifiers in a PromQL expression (label names, functions and keywords excluded). */
function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutLabelSets = withoutStrings
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without)\s*\([^)]*\)/g, '');
  return [...withoutLabelSets.matchAll(/\b(cdc_[a-z0-9_]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+|up)\b/g)].map(
    (m) => m[1] ?? '',
  );
}

interface Dashboard {
  uid: string;
  title: string;
  panels: { id: number; title: string; datasource?: { uid?: string }; targets?: { expr: string }[] }[];
  templating: { list: { name: string; query: { query: string } | string }[] };
}

const dashboards: [string, Dashboard][] = readdirSync(join(grafanaDir, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(grafanaDir, 'dashboards', f), 'utf8')) as Dashboard]);

function dashboardExpressions(): string[] {
  return dashboards.flatMap(([, d]) => [
    ...d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...d.templating.list.map((v) => (typeof v.query === 'string' ? v.query : v.query.query)),
  ]);
}

function alertRules(): { alert: string; expr: string }[] {
  const doc = parseYaml(readFileSync(join(prometheusDir, 'alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules);
}

describe('Prometheus alert rules', () => {
  it('cover replication lag, stalled pipelines, drift, stale reconciliation, dead letters and Vault', () => {
    const names = alertRules().map((r) => r.alert);
    for (const expected of [
      'CdcReplicationLagHigh',
      'CdcPipelineStalled',
      'CdcReconcileDrift',
      'CdcReconcileNotRunRecently',
      'CdcDeadLetters',
      'CdcVaultUnhealthy',
    ]) {
      expect(names).toContain(expected);
    }
  });

  it('use only metrics of the catalog', async () => {
    const known = await knownMetricNames();
    for (const rule of alertRules()) {
      const used = metricNamesIn(rule.expr);
      expect(used.length, rule.alert).toBeGreaterThan(0);
      for (const name of used) expect(known.has(name), `${rule.alert} uses ${name}`).toBe(true);
    }
  });

  it('are tested: every alert appears in alerts.test.yml', () => {
    const tests = readFileSync(join(prometheusDir, 'alerts.test.yml'), 'utf8');
    for (const rule of alertRules()) expect(tests, rule.alert).toContain(`alertname: ${rule.alert}`);
  });

  it.skipIf(!promtool)('pass `promtool check config` and `promtool check rules`', async () => {
    const config = await run(promtool ?? 'promtool', ['check', 'config', 'prometheus.yml'], {
      cwd: prometheusDir,
    });
    expect(config.stdout).toContain('SUCCESS');
    const rules = await run(promtool ?? 'promtool', ['check', 'rules', 'alerts.yml'], { cwd: prometheusDir });
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!promtool)('pass `promtool test rules alerts.test.yml` with sample series', async () => {
    const result = await run(promtool ?? 'promtool', ['test', 'rules', 'alerts.test.yml'], {
      cwd: prometheusDir,
    });
    expect(result.stdout).toContain('SUCCESS');
  });

  it('scrape the worker', () => {
    const config = parseYaml(readFileSync(join(prometheusDir, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.rule_files).toContain('alerts.yml');
    const worker = config.scrape_configs.find((s) => s.job_name === 'cdc-worker');
    expect(worker?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(worker?.static_configs[0]?.targets).toContain('worker:9464');
  });
});

describe('Grafana provisioning and dashboards', () => {
  const datasource = parseYaml(
    readFileSync(join(grafanaDir, 'provisioning/datasources/prometheus.yaml'), 'utf8'),
  ) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  const provider = parseYaml(readFileSync(join(grafanaDir, 'provisioning/dashboards/cdc.yaml'), 'utf8')) as {
    providers: { type: string; options: { path: string } }[];
  };

  it('provision a Prometheus datasource and a file provider', () => {
    expect(datasource.datasources[0]).toMatchObject({
      uid: 'cdc-prometheus',
      type: 'prometheus',
      url: 'http://prometheus:9090',
    });
    expect(provider.providers[0]?.type).toBe('file');
    expect(provider.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('ship pipelines, lag and drift dashboards with unique uids and panel ids', () => {
    expect(dashboards.map(([, d]) => d.uid).sort()).toEqual(['cdc-drift', 'cdc-lag', 'cdc-pipelines']);
    for (const [file, d] of dashboards) {
      expect(d.panels.length, file).toBeGreaterThan(3);
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
      for (const p of d.panels) {
        expect(p.datasource?.uid, `${file}: ${p.title}`).toBe('cdc-prometheus');
        expect(p.targets?.length, `${file}: ${p.title}`).toBeGreaterThan(0);
      }
    }
  });

  it('reference only metrics of the catalog (or default process metrics)', async () => {
    const known = await knownMetricNames();
    for (const expr of dashboardExpressions()) {
      const used = metricNamesIn(expr);
      expect(used.length, expr).toBeGreaterThan(0);
      for (const name of used) expect(known.has(name), `${expr} uses ${name}`).toBe(true);
    }
  });

  it('together with the alerts, use every catalog metric', () => {
    const used = new Set(
      [...dashboardExpressions(), ...alertRules().map((r) => r.expr)].flatMap(metricNamesIn),
    );
    for (const m of METRIC_CATALOG) {
      const series = m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_count`, m.name] : [m.name];
      expect(
        series.some((s) => used.has(s)),
        m.name,
      ).toBe(true);
    }
  });

  it.skipIf(!promtool)('contain valid PromQL (checked by promtool as recording rules)', async () => {
    const exprs = dashboards.flatMap(([, d]) =>
      d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    );
    const rules = exprs.map((expr, i) => ({
      record: `cdc:dashboard_expr_${i}`,
      expr: expr.replaceAll('$__rate_interval', '5m').replace(/\$[a-z_]+/g, '.*'),
    }));
    const dir = await mkdtemp(join(tmpdir(), 'cdc-promql-'));
    try {
      await writeFile(join(dir, 'rules.yml'), JSON.stringify({ groups: [{ name: 'dashboards', rules }] }));
      const result = await run(promtool ?? 'promtool', ['check', 'rules', join(dir, 'rules.yml')]);
      expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/metrics.md', () => {
  it('documents every metric of the catalog with its labels', () => {
    const doc = readFileSync(join(root, 'docs/metrics.md'), 'utf8');
    for (const m of METRIC_CATALOG) {
      expect(doc, m.name).toContain(`\`${m.name}\``);
      for (const label of m.labelNames) expect(doc, `${m.name} label ${label}`).toContain(label);
    }
  });
});
