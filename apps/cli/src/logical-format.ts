/** Human-readable logical types (`numeric(12,2)`, `timestamptz(6)`, `map<text,int32>`). */
import type { LogicalType } from '@cdc/core';

/** Renders a logical type the way docs/normalization.md writes it. */
export function formatLogicalType(type: LogicalType): string {
  switch (type.kind) {
    case 'numeric':
      return type.precision === undefined ? 'numeric' : `numeric(${type.precision},${type.scale ?? 0})`;
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return `${type.kind}(${type.precision})`;
    case 'list':
    case 'set':
      return `${type.kind}<${formatLogicalType(type.element)}>`;
    case 'map':
      return `map<${formatLogicalType(type.key)},${formatLogicalType(type.value)}>`;
    case 'tuple':
      return `tuple<${type.elements.map(formatLogicalType).join(',')}>`;
    case 'udt':
      return `udt ${type.name}`;
    default:
      return type.kind;
  }
}

/** Pads columns of a text table (first row = header). */
export function textTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
