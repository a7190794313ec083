/** Renderers of a {@link DiffResult}: plain text (terminals, logs), Markdown (PRs, tickets), JSON. */
import { bytesToHex } from './canonical.js';
import type { DiffResult, Difference } from './diff-types.js';
import { formatTableId } from './schema.js';
import { severityOf, type SeverityThresholds } from './severity.js';

/** Options of the text and Markdown renderers. */
export interface RenderOptions {
  /** Differences listed at most. Default 20. */
  limit?: number;
  /** Thresholds for the severity line. Default {@link DEFAULT_SEVERITY_THRESHOLDS}. */
  thresholds?: SeverityThresholds;
}

/**
 * A JSON-safe copy of a value: bigint → decimal string, bytes → hex string, Date → ISO string,
 * Map → object (or pairs for non-string keys), Set → array, non-finite numbers → their names.
 */
export function toJsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number')
    return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : String(value);
  if (value instanceof Uint8Array) return `\\x${bytesToHex(value)}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Set) return [...(value as Set<unknown>)].map(toJsonSafe);
  if (value instanceof Map) {
    const entries = [...(value as Map<unknown, unknown>).entries()];
    return entries.every(([k]) => typeof k === 'string')
      ? Object.fromEntries(entries.map(([k, v]) => [k, toJsonSafe(v)]))
      : entries.map(([k, v]) => [toJsonSafe(k), toJsonSafe(v)]);
  }
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toJsonSafe(v)]),
    );
  }
  return value;
}

/** The result as JSON text (stable field order, JSON-safe values), with its severity. */
export function renderDiffJson(
  result: DiffResult,
  options: { thresholds?: SeverityThresholds; indent?: number } = {},
): string {
  return JSON.stringify(
    toJsonSafe({ ...result, severity: severityOf(result, options.thresholds) }),
    null,
    options.indent ?? 2,
  );
}

function show(value: unknown): string {
  const safe = toJsonSafe(value);
  const s = typeof safe === 'string' ? JSON.stringify(safe) : JSON.stringify(safe);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function keyText(d: Difference): string {
  return Object.entries(d.key)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(', ');
}

function describe(d: Difference): string[] {
  if (d.kind !== 'mismatched') return [];
  return d.columns.map((c) => `${c}: ${show(d.source?.[c])} → ${show(d.target?.[c])}`);
}

function headline(result: DiffResult, thresholds: SeverityThresholds | undefined): string[] {
  const { missing, extra, mismatched } = result.summary;
  const s = result.stats;
  return [
    `${formatTableId(result.source)} → ${formatTableId(result.target)}: ${result.status === 'in_sync' ? 'in sync' : 'DIFFERENCES'} (severity ${severityOf(result, thresholds)})`,
    `rows: source ${result.counts.source}, target ${result.counts.target}; missing ${missing}, extra ${extra}, mismatched ${mismatched}${result.truncated ? ' (stopped at the limit; more may exist)' : ''}`,
    `algorithm ${result.algorithm}, hashing ${result.hashing}${result.bucketing ? `, ${result.bucketing} buckets` : ''}; read ${s.source.rowsRead}/${s.target.rowsRead} rows in ${s.source.queries}/${s.target.queries} queries (source/target); ${s.durationMs} ms`,
    ...(result.live
      ? [`live re-check after ${result.live.recheckAfterMs} ms: ${result.live.resolved} resolved`]
      : []),
    ...result.notes.map((n) => `note: ${n}`),
  ];
}

/** Plain-text report: a header, then one line per difference (up to `limit`). */
export function renderDiffText(result: DiffResult, options: RenderOptions = {}): string {
  const limit = options.limit ?? 20;
  const lines = headline(result, options.thresholds);
  for (const d of result.differences.slice(0, limit)) {
    lines.push(`  ${d.kind.padEnd(10)} ${keyText(d)}`);
    for (const c of describe(d)) lines.push(`             ${c}`);
  }
  if (result.differences.length > limit) lines.push(`  … ${result.differences.length - limit} more`);
  return `${lines.join('\n')}\n`;
}

function md(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown report: a summary list and a table of differences (up to `limit`). */
export function renderDiffMarkdown(result: DiffResult, options: RenderOptions = {}): string {
  const limit = options.limit ?? 20;
  const [title, ...rest] = headline(result, options.thresholds);
  const out = [`### ${md(title ?? '')}`, '', ...rest.map((l) => `- ${md(l)}`), ''];
  if (result.differences.length > 0) {
    out.push('| kind | key | columns | source → target |', '| --- | --- | --- | --- |');
    for (const d of result.differences.slice(0, limit)) {
      out.push(
        `| ${d.kind} | ${md(keyText(d))} | ${md(d.columns.join(', '))} | ${md(describe(d).join('; '))} |`,
      );
    }
    if (result.differences.length > limit)
      out.push('', `_${result.differences.length - limit} more not shown._`);
  }
  return `${out.join('\n')}\n`;
}
