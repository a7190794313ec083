/** Severity of a diff result against named, configurable thresholds (for alerts and exit decisions). */
import type { DiffResult } from './diff-types.js';

/** Severity levels, lowest first. */
export type SeverityLevel = 'ok' | 'notice' | 'warning' | 'critical';

/**
 * A level is reached when ANY bound it sets is met: `differences` (listed missing + extra + mismatched),
 * `ratio` (differences ÷ max(source rows, 1)), or a per-kind count.
 */
export interface SeverityRule {
  differences?: number;
  ratio?: number;
  missing?: number;
  extra?: number;
  mismatched?: number;
}

/** Thresholds per level; a level without a rule is never reached. */
export type SeverityThresholds = Partial<Record<Exclude<SeverityLevel, 'ok'>, SeverityRule>>;

/** Defaults: any difference is a notice; 100 or 0.01 % a warning; 10,000 or 1 % critical. */
export const DEFAULT_SEVERITY_THRESHOLDS: Readonly<SeverityThresholds> = {
  notice: { differences: 1 },
  warning: { differences: 100, ratio: 0.0001 },
  critical: { differences: 10_000, ratio: 0.01 },
};

function reached(rule: SeverityRule | undefined, result: DiffResult): boolean {
  if (!rule) return false;
  const { missing, extra, mismatched } = result.summary;
  let total = missing + extra + mismatched;
  // A count-only diff knows no rows, only the count gap.
  if (result.algorithm === 'count') total = Number(result.counts.source - result.counts.target) || 0;
  total = Math.abs(total);
  const rows = Math.max(Number(result.counts.source), 1);
  return (
    (rule.differences !== undefined && total >= rule.differences) ||
    (rule.ratio !== undefined && total > 0 && total / rows >= rule.ratio) ||
    (rule.missing !== undefined && missing >= rule.missing) ||
    (rule.extra !== undefined && extra >= rule.extra) ||
    (rule.mismatched !== undefined && mismatched >= rule.mismatched)
  );
}

/** The highest level whose rule `result` meets (thresholds merged over the defaults per level). */
export function severityOf(result: DiffResult, thresholds: SeverityThresholds = {}): SeverityLevel {
  const t = { ...DEFAULT_SEVERITY_THRESHOLDS, ...thresholds };
  for (const level of ['critical', 'warning', 'notice'] as const) if (reached(t[level], result)) return level;
  return 'ok';
}
