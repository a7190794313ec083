/**
 * Rendering of reconciliation history: text, markdown, JSON and one self-contained HTML file (the web
 * console's stylesheet inline, an inline SVG chart of drift over past runs, a section per table with its
 * first differing keys; no scripts, no external requests).
 */
import { CONSOLE_CSS } from './console-style.js';

/** How many differences per table the HTML report lists. */
export const REPORT_DIFFERENCES_PER_TABLE = 20;

/** One stored difference in a report: which row (key) and which columns — never the values. */
export interface ReportDifference {
  kind: 'missing' | 'extra' | 'mismatched';
  key: unknown[];
  columns: string[];
}

/** One table's outcome within a run. */
export interface ReportTable {
  table: string;
  status: 'in_sync' | 'differences' | 'error';
  sourceCount?: number;
  targetCount?: number;
  missing: number;
  extra: number;
  mismatched: number;
  error?: string;
  durationMs?: number;
  /** The first stored differences (at most {@link REPORT_DIFFERENCES_PER_TABLE}), when the run has them. */
  differences?: ReportDifference[];
}

/** One reconciliation run. */
export interface ReportRun {
  id: string;
  /** `verify` for differences found by always-on verification; absent for reconciliation runs. */
  kind?: 'verify';
  startedAt: Date;
  finishedAt?: Date;
  status: string;
  tables: ReportTable[];
}

/** Differences of a table result (missing + extra + mismatched). */
export function driftOf(t: ReportTable): number {
  return t.missing + t.extra + t.mismatched;
}

function runDrift(run: ReportRun): number {
  return run.tables.reduce((n, t) => n + driftOf(t), 0);
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Text table of the selected run. */
export function renderRunText(run: ReportRun): string {
  const label = run.kind === 'verify' ? ' (verification)' : '';
  const lines = [`run ${run.id}${label}  ${run.startedAt.toISOString()}  ${run.status}`];
  const width = Math.max(5, ...run.tables.map((t) => t.table.length));
  lines.push(`${'table'.padEnd(width)}  status       source     target    missing    extra  mismatched`);
  for (const t of run.tables) {
    lines.push(
      `${t.table.padEnd(width)}  ${t.status.padEnd(11)}  ${String(t.sourceCount ?? '-').padStart(8)}  ${String(t.targetCount ?? '-').padStart(8)}  ` +
        `${String(t.missing).padStart(8)}  ${String(t.extra).padStart(7)}  ${String(t.mismatched).padStart(10)}` +
        (t.error ? `  ${t.error}` : ''),
    );
  }
  return lines.join('\n');
}

/** Markdown table of the selected run. */
export function renderRunMarkdown(run: ReportRun): string {
  const rows = run.tables.map(
    (t) =>
      `| \`${t.table}\` | ${t.status} | ${t.sourceCount ?? ''} | ${t.targetCount ?? ''} | ${t.missing} | ${t.extra} | ${t.mismatched} |`,
  );
  return [
    `## ${run.kind === 'verify' ? 'Verification' : 'Reconciliation'} run ${run.id}`,
    '',
    `Started ${run.startedAt.toISOString()}, status **${run.status}**.`,
    '',
    '| table | status | source rows | target rows | missing | extra | mismatched |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

/** Inline SVG line chart of total drift per run (oldest left). */
export function renderDriftChart(runs: readonly ReportRun[], width = 720, height = 220): string {
  const ordered = [...runs].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const pad = { left: 48, right: 16, top: 16, bottom: 36 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const values = ordered.map(runDrift);
  const max = Math.max(1, ...values);
  const x = (i: number) => pad.left + (ordered.length === 1 ? w / 2 : (i * w) / (ordered.length - 1));
  const y = (v: number) => pad.top + h - (v / max) * h;
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const ticks = [0, Math.round(max / 2), max]
    .map(
      (v) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>` +
        `<text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`,
    )
    .join('');
  const dots = ordered
    .map(
      (run, i) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(values[i]!).toFixed(1)}" r="4" class="${values[i] ? 'bad' : 'ok'}">` +
        `<title>${escapeHtml(run.id)} ${run.startedAt.toISOString()}: ${values[i]} difference(s)</title></circle>`,
    )
    .join('');
  const labels =
    ordered.length > 0
      ? `<text x="${pad.left}" y="${height - 10}">${ordered[0]!.startedAt.toISOString().slice(0, 16).replace('T', ' ')}</text>` +
        `<text x="${width - pad.right}" y="${height - 10}" text-anchor="end">${ordered[ordered.length - 1]!.startedAt.toISOString().slice(0, 16).replace('T', ' ')}</text>`
      : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Differences per run">` +
    `${ticks}<polyline points="${points}" class="line"/>${dots}${labels}</svg>`
  );
}

/** One self-contained HTML page: drift chart over `runs`, the tables of `selected` and their differences. */
export function renderHtmlReport(runs: readonly ReportRun[], selected: ReportRun): string {
  const badge = (status: string) =>
    `<span class="badge s-${escapeHtml(status)}">${escapeHtml(status.replace('_', ' '))}</span>`;
  const rows = selected.tables
    .map(
      (t) =>
        `<tr><th scope="row"><code>${escapeHtml(t.table)}</code></th><td>${badge(t.status)}</td>` +
        `<td class="num">${t.sourceCount ?? ''}</td><td class="num">${t.targetCount ?? ''}</td><td class="num">${t.missing}</td><td class="num">${t.extra}</td>` +
        `<td class="num">${t.mismatched}</td><td>${t.error ? `<span class="error-line">${escapeHtml(t.error)}</span>` : ''}</td></tr>`,
    )
    .join('\n');
  const sections = selected.tables
    .filter((t) => driftOf(t) > 0 || t.error)
    .map((t) => {
      const shown = t.differences ?? [];
      const list =
        shown.length === 0
          ? '<p class="muted">No stored differences for this table in this run.</p>'
          : '<table><thead><tr><th scope="col">kind</th><th scope="col">key</th><th scope="col">columns</th></tr></thead><tbody>' +
            shown
              .map(
                (d) =>
                  `<tr><td>${badge(d.kind)}</td><td><code>${escapeHtml(d.key.map((k) => (typeof k === 'string' ? k : JSON.stringify(k))).join(', '))}</code></td>` +
                  `<td>${d.columns.length ? d.columns.map(escapeHtml).join(', ') : '<span class="muted">whole row</span>'}</td></tr>`,
              )
              .join('') +
            '</tbody></table>' +
            (driftOf(t) > shown.length
              ? `<p class="muted">First ${shown.length} of ${driftOf(t)} difference(s); <code>cdc reconcile report --format json</code> lists the stored sample.</p>`
              : '');
      return (
        `<section class="card"><header><h3><code>${escapeHtml(t.table)}</code></h3>${badge(t.status)}` +
        `<span class="muted">missing ${t.missing}, extra ${t.extra}, mismatched ${t.mismatched}</span></header>` +
        `${t.error ? `<p class="error-line">${escapeHtml(t.error)}</p>` : ''}${list}</section>`
      );
    })
    .join('\n');
  const history = [...runs]
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
    .map(
      (r) =>
        `<tr><td><code>${escapeHtml(r.id)}</code>${r.kind === 'verify' ? ' <span class="muted">verification</span>' : ''}</td><td>${r.startedAt.toISOString()}</td><td>${badge(r.status)}</td><td class="num">${runDrift(r)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cdc reconciliation report — run ${escapeHtml(selected.id)}</title>
<style>${CONSOLE_CSS}</style>
</head>
<body>
<header class="top"><h1>Reconciliation report</h1><span class="muted">run <code>${escapeHtml(selected.id)}</code>, ${selected.startedAt.toISOString()}</span></header>
<main>
<p>Run <code>${escapeHtml(selected.id)}</code> started ${selected.startedAt.toISOString()} — ${badge(selected.status)}
${runDrift(selected)} difference(s) over ${selected.tables.length} table(s).</p>
<h2>Drift over the last ${runs.length} run(s)</h2>
${renderDriftChart(runs)}
<h2>Tables</h2>
<table>
<thead><tr><th scope="col">table</th><th scope="col">status</th><th scope="col" class="num">source rows</th><th scope="col" class="num">target rows</th><th scope="col" class="num">missing</th><th scope="col" class="num">extra</th><th scope="col" class="num">mismatched</th><th scope="col">error</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Differences</h2>
${sections ? `<div class="cards">${sections}</div>` : '<p class="muted">No differences in this run.</p>'}
<h2>History</h2>
<table>
<thead><tr><th scope="col">run</th><th scope="col">started</th><th scope="col">status</th><th scope="col" class="num">differences</th></tr></thead>
<tbody>
${history}
</tbody>
</table>
</main>
</body>
</html>
`;
}
