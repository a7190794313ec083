/**
 * Identifier quoting and small SQL-building helpers. Every identifier that reaches SQL goes through
 * {@link quoteIdent}; every value goes through a bind parameter (or {@link quoteLiteral} in rendered
 * repair scripts, which are read by people before they run).
 */
import type { TableId } from '@cdc/core';

/** Quotes an identifier for PostgreSQL, always (names are exact: case, dots, spaces, quotes kept). */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new TypeError('identifier contains a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."name"` for a table id; the schema defaults to `public`. */
export function qualifiedName(id: TableId): string {
  return `${quoteIdent(id.schema ?? 'public')}.${quoteIdent(id.name)}`;
}

/**
 * A string literal that is safe whatever `standard_conforming_strings` says: the `E''` form with
 * backslashes and quotes escaped.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new TypeError('text literal contains a NUL character');
  const escaped = value.replace(/\\/g, '\\\\').replace(/'/g, "''");
  return escaped.includes('\\') ? `E'${escaped}'` : `'${escaped}'`;
}

/** Collects bind parameters and hands out `$n` placeholders. */
export class Params {
  readonly values: unknown[] = [];

  /** Adds a value and returns its placeholder, with an optional cast (`$3::bigint`). */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}
