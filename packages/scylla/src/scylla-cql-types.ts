/**
 * CQL column types: parsing the type text of `system_schema.columns.type` into a tree, and mapping every
 * CQL type to a cdc logical type (see `docs/sources/scylla.md`, "Type mapping").
 */
import { CdcError, type LogicalType } from '@cdc/core';

/** CQL native (non-parameterized) type names. */
export const CQL_NATIVE_TYPES = [
  'ascii',
  'bigint',
  'blob',
  'boolean',
  'counter',
  'date',
  'decimal',
  'double',
  'duration',
  'float',
  'inet',
  'int',
  'smallint',
  'text',
  'time',
  'timestamp',
  'timeuuid',
  'tinyint',
  'uuid',
  'varchar',
  'varint',
] as const;

/** A CQL native type name. */
export type CqlNativeName = (typeof CQL_NATIVE_TYPES)[number];

/** A parsed CQL type. `frozen` is recorded where CQL allows both forms. */
export type CqlType =
  | { kind: 'native'; name: CqlNativeName }
  | { kind: 'list' | 'set'; element: CqlType; frozen: boolean }
  | { kind: 'map'; key: CqlType; value: CqlType; frozen: boolean }
  | { kind: 'tuple'; elements: CqlType[] }
  | { kind: 'udt'; name: string; fields: { name: string; type: CqlType }[] | undefined; frozen: boolean }
  | { kind: 'vector'; element: CqlType; dimension: number }
  | { kind: 'custom'; className: string };

const NATIVE = new Set<string>(CQL_NATIVE_TYPES);

/**
 * Parses a CQL type as `system_schema` spells it, e.g. `frozen<map<text, frozen<list<int>>>>`,
 * `vector<float, 3>`, `"MyType"`, `'org.apache.cassandra.db.marshal.DynamicCompositeType(…)'`.
 * User types are returned with `fields: undefined`; {@link resolveUdts} fills them in.
 */
export function parseCqlType(text: string): CqlType {
  const p = new TypeParser(text);
  const t = p.type(false);
  p.end();
  return t;
}

class TypeParser {
  #pos = 0;
  readonly #s: string;
  constructor(s: string) {
    this.#s = s;
  }

  #ws(): void {
    while (this.#pos < this.#s.length && /\s/.test(this.#s[this.#pos] ?? '')) this.#pos++;
  }

  #fail(what: string): never {
    throw new CdcError('UNSUPPORTED_TYPE', `Cannot parse CQL type '${this.#s}': ${what} at ${this.#pos}.`);
  }

  #eat(ch: string): void {
    this.#ws();
    if (this.#s[this.#pos] !== ch) this.#fail(`expected '${ch}'`);
    this.#pos++;
  }

  #peek(): string | undefined {
    this.#ws();
    return this.#s[this.#pos];
  }

  #word(): string {
    this.#ws();
    const c = this.#s[this.#pos];
    if (c === '"') {
      let out = '';
      this.#pos++;
      for (;;) {
        const ch = this.#s[this.#pos];
        if (ch === undefined) this.#fail('unterminated quoted name');
        if (ch === '"') {
          if (this.#s[this.#pos + 1] === '"') {
            out += '"';
            this.#pos += 2;
            continue;
          }
          this.#pos++;
          return out;
        }
        out += ch;
        this.#pos++;
      }
    }
    const m = /^[A-Za-z0-9_.$]+/.exec(this.#s.slice(this.#pos));
    if (!m) this.#fail('expected a type name');
    this.#pos += m[0].length;
    return m[0];
  }

  end(): void {
    this.#ws();
    if (this.#pos !== this.#s.length) this.#fail('unexpected text');
  }

  type(frozen: boolean): CqlType {
    this.#ws();
    if (this.#s[this.#pos] === "'") {
      const close = this.#s.indexOf("'", this.#pos + 1);
      if (close < 0) this.#fail('unterminated custom type');
      const className = this.#s.slice(this.#pos + 1, close);
      this.#pos = close + 1;
      return { kind: 'custom', className };
    }
    const quoted = this.#s[this.#pos] === '"';
    const word = this.#word();
    const lower = quoted ? word : word.toLowerCase();
    if (!quoted && lower === 'frozen') {
      this.#eat('<');
      const inner = this.type(true);
      this.#eat('>');
      return inner;
    }
    if (!quoted && (lower === 'list' || lower === 'set') && this.#peek() === '<') {
      this.#eat('<');
      const element = this.type(true);
      this.#eat('>');
      return { kind: lower, element, frozen };
    }
    if (!quoted && lower === 'map' && this.#peek() === '<') {
      this.#eat('<');
      const key = this.type(true);
      this.#eat(',');
      const value = this.type(true);
      this.#eat('>');
      return { kind: 'map', key, value, frozen };
    }
    if (!quoted && lower === 'tuple' && this.#peek() === '<') {
      this.#eat('<');
      const elements = [this.type(true)];
      while (this.#peek() === ',') {
        this.#eat(',');
        elements.push(this.type(true));
      }
      this.#eat('>');
      return { kind: 'tuple', elements };
    }
    if (!quoted && lower === 'vector' && this.#peek() === '<') {
      this.#eat('<');
      const element = this.type(true);
      this.#eat(',');
      this.#ws();
      const m = /^\d+/.exec(this.#s.slice(this.#pos));
      if (!m) this.#fail('expected a vector dimension');
      this.#pos += m[0].length;
      this.#eat('>');
      return { kind: 'vector', element, dimension: Number(m[0]) };
    }
    if (!quoted && NATIVE.has(lower)) return { kind: 'native', name: lower as CqlNativeName };
    return { kind: 'udt', name: word, fields: undefined, frozen };
  }
}

/** A user type definition from `system_schema.types` (field types as CQL text). */
export interface CqlUdtDefinition {
  name: string;
  fieldNames: string[];
  fieldTypes: string[];
}

/** Fills in the fields of every user type in `type` (recursively); unknown names fail clearly. */
export function resolveUdts(type: CqlType, udts: ReadonlyMap<string, CqlUdtDefinition>, depth = 0): CqlType {
  if (depth > 32) throw new CdcError('UNSUPPORTED_TYPE', 'User types nest deeper than 32 levels.');
  switch (type.kind) {
    case 'native':
    case 'custom':
      return type;
    case 'list':
    case 'set':
      return { ...type, element: resolveUdts(type.element, udts, depth + 1) };
    case 'map':
      return {
        ...type,
        key: resolveUdts(type.key, udts, depth + 1),
        value: resolveUdts(type.value, udts, depth + 1),
      };
    case 'tuple':
      return { ...type, elements: type.elements.map((e) => resolveUdts(e, udts, depth + 1)) };
    case 'vector':
      return { ...type, element: resolveUdts(type.element, udts, depth + 1) };
    case 'udt': {
      const def = udts.get(type.name);
      if (!def) {
        throw new CdcError('UNSUPPORTED_TYPE', `Unknown user type '${type.name}'.`, {
          hint: 'The type must exist in the same keyspace (system_schema.types).',
        });
      }
      return {
        ...type,
        fields: def.fieldNames.map((name, i) => ({
          name,
          type: resolveUdts(parseCqlType(def.fieldTypes[i] ?? ''), udts, depth + 1),
        })),
      };
    }
  }
}

/** Renders a parsed type back to CQL text (identifiers quoted where needed). */
export function formatCqlType(type: CqlType): string {
  switch (type.kind) {
    case 'native':
      return type.name;
    case 'custom':
      return `'${type.className}'`;
    case 'list':
    case 'set': {
      const t = `${type.kind}<${formatCqlType(type.element)}>`;
      return type.frozen ? `frozen<${t}>` : t;
    }
    case 'map': {
      const t = `map<${formatCqlType(type.key)}, ${formatCqlType(type.value)}>`;
      return type.frozen ? `frozen<${t}>` : t;
    }
    case 'tuple':
      return `frozen<tuple<${type.elements.map(formatCqlType).join(', ')}>>`;
    case 'vector':
      return `vector<${formatCqlType(type.element)}, ${type.dimension}>`;
    case 'udt': {
      const n = /^[a-z_][a-z0-9_]*$/.test(type.name) ? type.name : `"${type.name.replace(/"/g, '""')}"`;
      return type.frozen ? `frozen<${n}>` : n;
    }
  }
}

/**
 * The logical type of a CQL type. Exact where it matters: `varint` → numeric(scale 0), `decimal` → numeric,
 * `time` → time(9) (nanoseconds), `timestamp` → timestamptz(3), `duration` → interval, `counter` → int64,
 * `tinyint` → int16 (there is no int8 logical kind), `vector<T,n>` → list<T>.
 * Throws `CdcError('UNSUPPORTED_TYPE')` naming `where` (table.column) for custom types.
 */
export function cqlToLogical(type: CqlType, where = 'column'): LogicalType {
  switch (type.kind) {
    case 'native':
      return nativeToLogical(type.name);
    case 'list':
    case 'set':
      return { kind: type.kind, element: cqlToLogical(type.element, where) };
    case 'map':
      return { kind: 'map', key: cqlToLogical(type.key, where), value: cqlToLogical(type.value, where) };
    case 'tuple':
      return { kind: 'tuple', elements: type.elements.map((e) => cqlToLogical(e, where)) };
    case 'vector':
      return { kind: 'list', element: cqlToLogical(type.element, where) };
    case 'udt':
      if (!type.fields) {
        throw new CdcError('UNSUPPORTED_TYPE', `User type '${type.name}' of ${where} was not resolved.`);
      }
      return {
        kind: 'udt',
        name: type.name,
        fields: type.fields.map((f) => ({ name: f.name, type: cqlToLogical(f.type, where) })),
      };
    case 'custom':
      throw new CdcError(
        'UNSUPPORTED_TYPE',
        `${where} has the custom type '${type.className}', which cdc cannot decode.`,
        {
          hint: 'Exclude the column (columns option) or convert it to a CQL native type.',
        },
      );
  }
}

function nativeToLogical(name: CqlNativeName): LogicalType {
  switch (name) {
    case 'ascii':
    case 'text':
    case 'varchar':
      return { kind: 'text' };
    case 'tinyint':
    case 'smallint':
      return { kind: 'int16' };
    case 'int':
      return { kind: 'int32' };
    case 'bigint':
    case 'counter':
      return { kind: 'int64' };
    case 'varint':
      return { kind: 'numeric', scale: 0 };
    case 'decimal':
      return { kind: 'numeric' };
    case 'float':
      return { kind: 'float32' };
    case 'double':
      return { kind: 'float64' };
    case 'boolean':
      return { kind: 'bool' };
    case 'blob':
      return { kind: 'bytes' };
    case 'uuid':
    case 'timeuuid':
      return { kind: 'uuid' };
    case 'timestamp':
      return { kind: 'timestamptz', precision: 3 };
    case 'date':
      return { kind: 'date' };
    case 'time':
      return { kind: 'time', precision: 9 };
    case 'duration':
      return { kind: 'interval' };
    case 'inet':
      return { kind: 'inet' };
  }
}

/** True for non-frozen collections and UDTs (they get `cdc$deleted_elements_*` columns in CDC logs). */
export function isNonFrozenCollection(type: CqlType): boolean {
  return (
    (type.kind === 'list' || type.kind === 'set' || type.kind === 'map' || type.kind === 'udt') &&
    !type.frozen
  );
}
