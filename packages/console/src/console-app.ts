/// <reference lib="dom" />
/**
 * The web console's browser code: plain custom elements, no framework and no build step of their own.
 * {@link consoleApp} runs in the browser; the server sends its source text (`consoleScript()`), so the
 * function must stay self-contained: it may use nothing from outside its body.
 */

/** Runs the console in the page: polls `/api/v1/status` and renders pipelines, tables, repairs. */
export function consoleApp(): void {
  /* eslint-disable @typescript-eslint/no-explicit-any -- the status document arrives as parsed JSON */
  const REFRESH_MS = 2000;
  const PAGE = 20;
  const esc = (v: unknown): string =>
    String(v ?? '').replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
    );
  const time = (iso: string | null | undefined): string =>
    iso ? esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '<span class="muted">–</span>';
  const badge = (s: string): string => `<span class="badge s-${esc(s)}">${esc(s.replace('_', ' '))}</span>`;
  const num = (n: unknown): string => esc(typeof n === 'number' ? n.toLocaleString('en') : (n ?? '–'));
  const value = (v: unknown): string =>
    v === '•••• masked'
      ? '<span class="masked">•••• masked</span>'
      : v === null || v === undefined
        ? '<span class="muted">NULL</span>'
        : `<code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code>`;

  function sparkline(samples: { seconds: number }[], label: string): string {
    const w = 160;
    const h = 32;
    if (samples.length === 0) return `<span class="muted">no batch yet</span>`;
    const max = Math.max(0.001, ...samples.map((s) => s.seconds));
    const x = (i: number) => (samples.length === 1 ? w / 2 : (i * (w - 4)) / (samples.length - 1) + 2);
    const y = (v: number) => h - 3 - (v / max) * (h - 6);
    const points = samples.map((s, i) => `${x(i).toFixed(1)},${y(s.seconds).toFixed(1)}`).join(' ');
    return (
      `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(label)}">` +
      `<line class="grid" x1="0" x2="${w}" y1="${h - 3}" y2="${h - 3}"/><polyline class="line" points="${points}"/></svg>`
    );
  }

  function driftChart(points: any[], label: string): string {
    if (points.length === 0) return '<p class="muted">No reconciliation or verification result yet.</p>';
    const w = 340;
    const h = 70;
    const totals = points.map((p) => p.missing + p.extra + p.mismatched);
    const max = Math.max(1, ...totals);
    const bw = Math.max(3, Math.min(18, (w - 30) / points.length - 2));
    const bars = points
      .map((p, i) => {
        const x = 28 + i * (bw + 2);
        let y = h - 14;
        let out = '';
        for (const k of ['missing', 'extra', 'mismatched'] as const) {
          const bh = (p[k] / max) * (h - 22);
          if (bh <= 0) continue;
          y -= bh;
          out += `<rect class="bar-${k}" x="${x}" y="${y.toFixed(1)}" width="${bw}" height="${bh.toFixed(1)}"/>`;
        }
        if (out === '') out = `<rect class="bar-ok" x="${x}" y="${h - 16}" width="${bw}" height="2"/>`;
        return `<g><title>${esc(`${p.kind} run ${p.runId} ${p.at}: ${p.missing} missing, ${p.extra} extra, ${p.mismatched} mismatched`)}</title>${out}</g>`;
      })
      .join('');
    return (
      `<svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(label)}">` +
      `<text x="24" y="12" text-anchor="end">${max}</text><text x="24" y="${h - 14}" text-anchor="end">0</text>` +
      `<line class="grid" x1="28" x2="${w}" y1="${h - 14}" y2="${h - 14}"/>${bars}</svg>` +
      '<div class="legend"><span class="l-missing">missing</span><span class="l-extra">extra</span><span class="l-mismatched">mismatched</span></div>'
    );
  }

  /** One table's stored differences, paged; keeps its page across status refreshes. */
  class CdcDifferences extends HTMLElement {
    offset = 0;
    runId: string | null = null;
    async load(): Promise<void> {
      const q = new URLSearchParams({
        pipeline: this.dataset.pipeline ?? '',
        table: this.dataset.table ?? '',
        offset: String(this.offset),
        limit: String(PAGE),
      });
      const res = await fetch(`api/v1/differences?${q}`, { credentials: 'same-origin' });
      if (!res.ok) {
        this.innerHTML = `<p class="error-line">differences unavailable (${res.status})</p>`;
        return;
      }
      const page = await res.json();
      this.runId = page.runId;
      if (page.total === 0) {
        this.innerHTML = '<p class="muted">No stored differences.</p>';
        return;
      }
      const rows = page.differences
        .map(
          (d: any) =>
            `<tr><td>${badge(d.kind)}</td><td>${d.key.map(value).join(', ')}</td><td>${d.columns.map(esc).join(', ') || '<span class="muted">whole row</span>'}</td>` +
            `<td>${Object.entries(d.values)
              .map(([c, v]: [string, any]) => `${esc(c)}: ${value(v.source)} → ${value(v.target)}`)
              .join('<br>')}</td></tr>`,
        )
        .join('');
      const last = Math.min(page.offset + page.limit, page.total);
      this.innerHTML =
        `<table><caption class="muted">${esc(page.runKind)} run ${esc(page.runId)}, ${time(page.at)}</caption>` +
        `<thead><tr><th scope="col">kind</th><th scope="col">key</th><th scope="col">columns</th><th scope="col">source → target</th></tr></thead><tbody>${rows}</tbody></table>` +
        `<div class="pager"><button type="button" data-step="-1" ${page.offset === 0 ? 'disabled' : ''}>Previous</button>` +
        `<span>${page.offset + 1}–${last} of ${page.total}</span>` +
        `<button type="button" data-step="1" ${last >= page.total ? 'disabled' : ''}>Next</button></div>`;
      this.querySelectorAll<HTMLElement>('button[data-step]').forEach((b) => {
        b.addEventListener('click', () => {
          this.offset = Math.max(0, this.offset + Number(b.dataset.step) * PAGE);
          void this.load();
        });
      });
    }
  }
  customElements.define('cdc-differences', CdcDifferences);

  const cards = new Map<
    string,
    { card: HTMLElement; summary: HTMLElement; diffs: CdcDifferences; latest: string }
  >();

  function renderPipelines(doc: any): string {
    if (doc.pipelines.length === 0) return '<p class="muted">No pipeline configured.</p>';
    const rows = doc.pipelines
      .map((p: any) => {
        const v = p.verification;
        return (
          `<tr data-pipeline="${esc(p.name)}"><th scope="row">${esc(p.name)}</th><td>${badge(p.state)}${p.error ? `<div class="error-line">${esc(p.error)}</div>` : ''}</td>` +
          `<td class="num lag">${p.lagSeconds === null || p.lagSeconds === undefined ? '–' : `${p.lagSeconds.toFixed(2)} s`}</td>` +
          `<td>${sparkline(p.lagHistory ?? [], `replication lag of ${p.name}, last ${(p.lagHistory ?? []).length} batches`)}</td>` +
          `<td class="num">${num(p.changesPerSecond)}</td><td class="num applied">${num(p.appliedChanges)}</td>` +
          `<td>${v ? `${v.enabled ? 'on' : 'off'}, queue ${num(v.queueDepth)}, behind ${num(v.changedLagSeconds)} s` : '<span class="muted">–</span>'}</td></tr>`
        );
      })
      .join('');
    return (
      '<table><thead><tr><th scope="col">pipeline</th><th scope="col">state</th><th scope="col" class="num">lag</th><th scope="col">lag, recent batches</th>' +
      `<th scope="col" class="num">changes/s</th><th scope="col" class="num">applied</th><th scope="col">verification</th></tr></thead><tbody>${rows}</tbody></table>`
    );
  }

  function tableSummary(t: any, live: any): string {
    const r = t.lastReconcile;
    const v = t.verification;
    const lv = live?.verification?.tables?.find((x: any) => x.table === t.table);
    const result = r
      ? `${badge(r.status)} ${time(r.at)} <span class="muted">missing ${esc(r.missing)}, extra ${esc(r.extra)}, mismatched ${esc(r.mismatched)}</span>${r.error ? `<div class="error-line">${esc(r.error)}</div>` : ''}`
      : '<span class="muted">never compared</span>';
    return (
      `<header><h3>${esc(t.table)}${t.target !== t.table ? ` <span class="muted">→ ${esc(t.target)}</span>` : ''}</h3>` +
      `<span class="muted">${esc(t.pipeline)}</span> ${badge(t.snapshot === 'done' ? 'done' : t.snapshot)}</header>` +
      '<dl class="facts">' +
      `<dt>latest result</dt><dd class="result">${result}</dd>` +
      `<dt>verified through</dt><dd>${time(lv?.verifiedThrough ?? v?.verifiedThrough)}${lv ? ` ${badge(lv.state)}` : ''}</dd>` +
      `<dt>position</dt><dd><code>${esc(t.position ?? '–')}</code>${t.lagBytes !== null ? ` <span class="muted">${esc(t.lagBytes)} B behind</span>` : ''}</dd>` +
      `<dt>last applied</dt><dd>${time(t.lastAppliedAt)}</dd>` +
      `<dt>dead letters</dt><dd>${num(t.deadLetters)}</dd>` +
      `${t.notes.length ? `<dt>notes</dt><dd>${t.notes.map(esc).join('<br>')}</dd>` : ''}</dl>` +
      driftChart(t.drift, `differences per run of ${t.table}, last ${t.drift.length} runs`)
    );
  }

  function renderTables(doc: any, host: HTMLElement): void {
    const seen = new Set<string>();
    for (const t of doc.tables) {
      const id = `${t.pipeline}/${t.table}`;
      seen.add(id);
      let entry = cards.get(id);
      if (!entry) {
        const card = document.createElement('section');
        card.className = 'card';
        card.dataset.table = t.table;
        card.setAttribute('aria-label', `table ${t.table}`);
        const summary = document.createElement('div');
        const diffs = document.createElement('cdc-differences') as CdcDifferences;
        diffs.className = 'diffs';
        diffs.dataset.pipeline = t.pipeline;
        diffs.dataset.table = t.table;
        card.append(summary, diffs);
        entry = { card, summary, diffs, latest: '' };
        cards.set(id, entry);
      }
      entry.summary.innerHTML = tableSummary(
        t,
        doc.pipelines.find((p: any) => p.name === t.pipeline),
      );
      const latest = t.drift.length ? t.drift[t.drift.length - 1].runId : '';
      if (latest !== entry.latest) {
        entry.latest = latest;
        entry.diffs.offset = 0;
        void entry.diffs.load();
      }
      host.append(entry.card);
    }
    for (const [id, entry] of cards) {
      if (!seen.has(id)) {
        entry.card.remove();
        cards.delete(id);
      }
    }
  }

  function renderRepairs(doc: any): string {
    if (doc.repairs.length === 0) return '<p class="muted">No repair recorded.</p>';
    const rows = doc.repairs
      .map(
        (r: any) =>
          `<tr><td>${time(r.at)}</td><td><code>${esc(r.targetTable)}</code></td><td>${esc(r.mode)}</td><td>${esc(r.runId ?? '–')}</td>` +
          `<td class="num">${esc(r.statements)}</td><td class="num">${esc(r.rowsChanged)}</td><td class="num">${esc(r.guardsFailed)}</td></tr>`,
      )
      .join('');
    return (
      '<table><thead><tr><th scope="col">at</th><th scope="col">table</th><th scope="col">mode</th><th scope="col">run</th>' +
      `<th scope="col" class="num">statements</th><th scope="col" class="num">rows changed</th><th scope="col" class="num">guards failed</th></tr></thead><tbody>${rows}</tbody></table>`
    );
  }

  function renderDeadLetters(doc: any): string {
    const bad = doc.tables.filter((t: any) => t.deadLetters > 0);
    if (bad.length === 0) return '<p class="muted">No dead letters.</p>';
    return (
      '<table><thead><tr><th scope="col">pipeline</th><th scope="col">table</th><th scope="col" class="num">dead letters</th></tr></thead><tbody>' +
      bad
        .map(
          (t: any) =>
            `<tr><td>${esc(t.pipeline)}</td><td><code>${esc(t.target)}</code></td><td class="num">${num(t.deadLetters)}</td></tr>`,
        )
        .join('') +
      '</tbody></table><p class="muted">Payloads stay in <code>cdc_meta.dead_letters</code> on the target; they are never shown here.</p>'
    );
  }

  const $ = (id: string) => document.getElementById(id) as HTMLElement;
  async function refresh(): Promise<void> {
    try {
      const res = await fetch('api/v1/status', { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const doc = await res.json();
      $('pipelines').innerHTML = renderPipelines(doc);
      renderTables(doc, $('tables'));
      $('repairs').innerHTML = renderRepairs(doc);
      $('dead-letters').innerHTML = renderDeadLetters(doc);
      $('updated').textContent = `updated ${doc.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`;
      $('updated').className = 'muted';
    } catch (error) {
      $('updated').textContent = `refresh failed: ${error instanceof Error ? error.message : String(error)}`;
      $('updated').className = 'error-line';
    } finally {
      setTimeout(() => void refresh(), REFRESH_MS);
    }
  }
  void refresh();
}
