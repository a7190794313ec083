/**
 * SQL identifier syntax for table names in the CLI and the configuration: `schema.table`, with double
 * quotes around parts holding dots, spaces or quotes (`"Sales-EU"."Order Items"`). Names are exact:
 * nothing is case-folded, so `Orders` and `"Orders"` name the same table.
 */
import { CdcError } from '../errors.js';
import type { TableId } from '../schema.js';

function invalid(input: string, problem: string): CdcError {
  return new CdcError('INVALID_ARGUMENT', `invalid table name ${JSON.stringify(input)}: ${problem}`, {
    hint: 'write schema.table; put double quotes around parts with dots, spaces or quotes ("Sales-EU"."Order Items", "a""b" for a quote)',
  });
}

/**
 * Splits a qualified table name into its parts (1 to 3: `table`, `schema.table`, `catalog.schema.table`).
 * Throws a `CdcError` (`INVALID_ARGUMENT`) naming the problem and the fix.
 *
 * @example
 * ```ts
 * parseTableName('"Sales-EU"."Order Items"'); // { schema: 'Sales-EU', name: 'Order Items' }
 * ```
 */
export function parseTableName(input: string): TableId {
  const parts = splitQualifiedName(input);
  if (parts.length > 3) throw invalid(input, `${parts.length} parts; at most catalog.schema.table`);
  const [a, b, c] = parts;
  if (parts.length === 1) return { name: a! };
  if (parts.length === 2) return { schema: a!, name: b! };
  return { catalog: a!, schema: b!, name: c! };
}

/** Splits a dotted SQL name into its unquoted parts (any number of parts). */
export function splitQualifiedName(input: string): string[] {
  const text = input.trim();
  if (text === '') throw invalid(input, 'it is empty');
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    if (i >= text.length) throw invalid(input, 'it ends with a dot');
    let part = '';
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const ch = text[i]!;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        part += ch;
        i++;
      }
      if (!closed) throw invalid(input, 'a double quote is not closed');
      if (part === '') throw invalid(input, 'a quoted part is empty ("")');
    } else {
      while (i < text.length && text[i] !== '.') {
        const ch = text[i]!;
        if (ch === '"') throw invalid(input, `a double quote in the middle of ${JSON.stringify(part + ch)}`);
        if (/\s/.test(ch))
          throw invalid(input, `unquoted part ${JSON.stringify(part)} is followed by a space`);
        part += ch;
        i++;
      }
      if (part === '') throw invalid(input, i === 0 ? 'it starts with a dot' : 'two dots in a row');
    }
    parts.push(part);
    if (i >= text.length) return parts;
    if (text[i] !== '.') throw invalid(input, `unexpected ${JSON.stringify(text[i])} after a quoted part`);
    i++;
  }
}

/** Renders a table id back into the syntax {@link parseTableName} reads (quoting only where needed). */
export function formatTableName(id: TableId): string {
  const q = (s: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return [id.catalog, id.schema, id.name]
    .filter((p): p is string => p !== undefined)
    .map(q)
    .join('.');
}
