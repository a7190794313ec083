/**
 * Rendering of reconciliation history: text, markdown, JSON and one self-contained HTML file (inline
 * CSS and an inline SVG chart of drift over past runs; no scripts, no external requests).
 */

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

/** One self-contained HTML page: drift chart over `runs` and the tables of `selected`. */
export function renderHtmlReport(runs: readonly ReportRun[], selected: ReportRun): string {
  const rows = selected.tables
    .map(
      (t) =>
        `<tr class="${t.status}"><td><code>${escapeHtml(t.table)}</code></td><td>${t.status.replace('_', ' ')}</td>` +
        `<td>${t.sourceCount ?? ''}</td><td>${t.targetCount ?? ''}</td><td>${t.missing}</td><td>${t.extra}</td>` +
        `<td>${t.mismatched}</td><td>${t.error ? escapeHtml(t.error) : ''}</td></tr>`,
    )
    .join('\n');
  const history = [...runs]
    .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
    .map(
      (r) =>
        `<tr><td><code>${escapeHtml(r.id)}</code></td><td>${r.startedAt.toISOString()}</td><td>${escapeHtml(r.status)}</td><td>${runDrift(r)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cdc reconciliation report — run ${escapeHtml(selected.id)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1b1f24;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{padding:.35rem .6rem;border-bottom:1px solid #d8dee4;text-align:right}
th:first-child,td:first-child,td:nth-child(2){text-align:left}
tr.differences td:nth-child(2){color:#b35900;font-weight:600}tr.error td:nth-child(2){color:#c62828;font-weight:600}
tr.in_sync td:nth-child(2){color:#1a7f37}
svg text{font-size:11px;fill:#57606a}svg .grid{stroke:#eaeef2}svg .line{fill:none;stroke:#0969da;stroke-width:2}
svg .bad{fill:#b35900}svg .ok{fill:#1a7f37}
</style>
</head>
<body>
<h1>Reconciliation report</h1>
<p>Run <code>${escapeHtml(selected.id)}</code> started ${selected.startedAt.toISOString()} — <strong>${escapeHtml(selected.status)}</strong>,
${runDrift(selected)} difference(s) over ${selected.tables.length} table(s).</p>
<h2>Drift over the last ${runs.length} run(s)</h2>
${renderDriftChart(runs)}
<h2>Tables</h2>
<table>
<thead><tr><th>table</th><th>status</th><th>source rows</th><th>target rows</th><th>missing</th><th>extra</th><th>mismatched</th><th>error</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>History</h2>
<table>
<thead><tr><th>run</th><th>started</th><th>status</th><th>differences</th></tr></thead>
<tbody>
${history}
</tbody>
</table>
</body>
</html>
`;
}
