/**
 * Loading the YAML configuration: parse, interpolate `${ENV}`, validate with zod, and turn every problem
 * into a line saying where (file:line:column and the key path) and how to fix it.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { CdcError } from '../errors.js';
import { interpolateEnv } from './config-interpolate.js';
import { cdcConfigSchema, type CdcConfig } from './config-schema.js';
import { resolveSecret, type SecretResolver } from './config-secrets.js';

/** One configuration problem. */
export interface ConfigIssue {
  /** Key path, e.g. `['pipelines', 0, 'source']`. */
  path: (string | number)[];
  /** What is wrong and how to fix it. */
  message: string;
  /** 1-based line and column in the file, when known. */
  line?: number;
  column?: number;
}

/** A `CdcError` (`CONFIG_INVALID`) carrying every problem found, each rendered on its own line. */
export class ConfigError extends CdcError {
  readonly issues: readonly ConfigIssue[];
  readonly source: string;

  constructor(source: string, issues: ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((issue) => formatConfigIssue(source, issue));
    const head =
      issues.length === 1 ? lines[0]! : `${source}: ${issues.length} problems\n  ${lines.join('\n  ')}`;
    super('CONFIG_INVALID', head, {
      hint: `fix ${issues.length === 1 ? 'it' : 'them'} and check again with \`cdc config validate\``,
      cause: options.cause,
    });
    this.issues = issues;
    this.source = source;
  }
}

/** Renders a key path as `pipelines[0].tables[2]` (keys that are not plain names are quoted). */
export function formatConfigPath(path: readonly (string | number | symbol)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(part))
      out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(top level)';
}

/** `file:line:col path: message`. */
export function formatConfigIssue(source: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? source : `${source}:${issue.line}:${issue.column ?? 1}`;
  return `${where} ${formatConfigPath(issue.path)}: ${issue.message}`;
}

/** Options of {@link parseConfig} and {@link loadConfigFile}. */
export interface ParseConfigOptions {
  /** Name used in messages (the file path). Default `config`. */
  source?: string;
  /** Variables for `${NAME}` interpolation. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

function locate(
  doc: Document,
  lines: LineCounter,
  path: (string | number)[],
): { line?: number; column?: number } {
  // Walk down as far as the path exists; a missing key is reported at its parent.
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const range = node && (isScalar(node) || isMap(node) || isSeq(node)) ? node.range : undefined;
    if (range) {
      const pos = lines.linePos(range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

/**
 * Replaces a union failure by the issues of the branch the input was most likely meant for (the one
 * that did not fail on its shape or its `mode`), so messages point at the real mistake.
 */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path }];
    const score = (branch: readonly z.core.$ZodIssue[]) =>
      branch.reduce(
        (n, i) =>
          n + (i.path.length === 0 && i.code === 'invalid_type' ? 1000 : i.path[0] === 'mode' ? 100 : 1),
        0,
      );
    const best = [...issue.errors].sort((a, b) => score(a) - score(b))[0]!;
    if (score(best) >= 1000) return [{ ...issue, path }];
    return flattenIssues(best, path);
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
    case 'invalid_type':
      if (issue.input === undefined) return `is required (expected ${issue.expected})`;
      return `expected ${issue.expected}, got ${issue.input === null ? 'null' : Array.isArray(issue.input) ? 'a list' : typeof issue.input}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return issue.path.includes('tables')
        ? 'expected a table name (schema.table) or {source, target?, key?, columns?, excludeColumns?}'
        : 'expected a pipeline {name, source, target, tables} or {name, mode: kafka-connect, …}';
    default:
      return issue.message;
  }
}

/**
 * Parses and validates configuration text (YAML or JSON). `${ENV}` references are interpolated; secret
 * references (`env:`, `file:`, `vault:`) are kept as written (see {@link resolveConfigSecrets}).
 * Throws a {@link ConfigError} listing every problem.
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): CdcConfig {
  const source = options.source ?? 'config';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return {
          path: [],
          message: `YAML syntax error: ${e.message.split('\n')[0]} (check indentation and quoting)`,
          line: pos.line,
          column: pos.col,
        };
      }),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    throw new ConfigError(source, [
      { path: [], message: 'the file is empty; start with a connections: block' },
    ]);
  }
  const env = options.env ?? process.env;
  const { value, missing, malformed } = interpolateEnv(raw, env);
  const issues: ConfigIssue[] = [
    ...missing.map((m) => ({
      path: m.path,
      message: `environment variable ${m.name} is not set; export it or write \${${m.name}:-default}`,
      ...locate(doc, lines, m.path),
    })),
    ...malformed.map((m) => ({
      path: m.path,
      message: `malformed interpolation ${JSON.stringify(m.name)}; write \${NAME} (letters, digits, _) or $\${ for a literal`,
      ...locate(doc, lines, m.path),
    })),
  ];
  const result = cdcConfigSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    for (const issue of flattenIssues(result.error.issues)) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      issues.push({ path, message: describeIssue(issue), ...locate(doc, lines, path) });
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(source, issues);
  return result.data;
}

/** Reads and parses a configuration file (see {@link parseConfig}). */
export async function loadConfigFile(
  path: string,
  options: Omit<ParseConfigOptions, 'source'> = {},
): Promise<CdcConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CdcError('CONFIG_INVALID', `cannot read configuration file ${path} (${code ?? 'error'})`, {
      hint:
        code === 'ENOENT' ? 'check the path given to --config (or set CDC_CONFIG)' : 'check file permissions',
      cause: error,
    });
  }
  return parseConfig(text, { ...options, source: path });
}

/** A configuration whose secret references were resolved, and the secret values (for redaction). */
export interface ResolvedConfig {
  config: CdcConfig;
  secrets: string[];
}

/**
 * Resolves secret references in connection URLs and passwords. Every failure is collected into one
 * {@link ConfigError} naming the key path.
 */
export async function resolveConfigSecrets(
  config: CdcConfig,
  resolvers: readonly SecretResolver[],
  source = 'config',
): Promise<ResolvedConfig> {
  const secrets: string[] = [];
  const issues: ConfigIssue[] = [];
  const connections: CdcConfig['connections'] = {};
  for (const [name, connection] of Object.entries(config.connections)) {
    const resolved = { ...connection };
    for (const field of ['url', 'password'] as const) {
      const value = connection[field];
      if (value === undefined) continue;
      try {
        const out = await resolveSecret(value, resolvers);
        if (out !== value || field === 'password') secrets.push(out);
        resolved[field] = out;
      } catch (error) {
        issues.push({
          path: ['connections', name, field],
          message:
            error instanceof CdcError && error.hint ? `${error.message}; ${error.hint}` : String(error),
        });
      }
    }
    connections[name] = resolved;
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  return { config: { ...config, connections }, secrets: secrets.filter((s) => s.length > 0) };
}

/** The configuration's JSON Schema (draft 2020-12) for editors, generated from the zod schema. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(cdcConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
