/**
 * Loading the YAML configuration: parse, interpolate `${ENV}`, validate with zod, and turn every problem
 * into a line saying where (file:line:column and the key path) and how to fix it.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { CdcError, isCdcError } from '../errors.js';
import { interpolateEnv } from './config-interpolate.js';
import { cdcConfigSchema, type CdcConfig } from './config-schema.js';
import { resolveSecretDetailed, type SecretResolver } from './config-secrets.js';

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

/**
 * What happened to one secret reference of the configuration. Holds the reference as written and
 * why it failed, never the secret value.
 */
export interface SecretReferenceResult {
  /** Key path in the configuration, e.g. `connections.source.password`. */
  path: string;
  /** The reference as written, e.g. `vault:secret/cdc/source#password` (a chain: the whole chain). */
  reference: string;
  /** `resolved`, or `failed` (then {@link error} says why). */
  status: 'resolved' | 'failed';
  /** For `resolved`: the alternative that produced the value (differs from `reference` for `a || b`). */
  resolvedBy?: string;
  /** For `failed`: what went wrong, naming the reference (never a value). */
  error?: string;
  /** For `failed`: how to fix it, when known. */
  hint?: string;
  /** For `failed`: the `CdcError` code, e.g. `SECRET_UNRESOLVED`, `PERMISSION_DENIED`. */
  code?: string;
}

/** A configuration whose secret references were resolved, and the secret values (for redaction). */
export interface ResolvedConfig {
  config: CdcConfig;
  /** Resolved secret values (and literal passwords): register them with a redactor, never print them. */
  secrets: string[];
  /** Every secret reference found, in config order, with its outcome (for `cdc check`). */
  references: SecretReferenceResult[];
}

/** Options of {@link resolveConfigSecrets}. */
export interface ResolveConfigSecretsOptions {
  /**
   * Do not throw when references fail: keep them as written in the returned config and report them
   * in {@link ResolvedConfig.references} with `status: 'failed'` (for `cdc check`, which reports
   * every failure). Default `false`: throw one {@link ConfigError} listing them all.
   */
  collectFailures?: boolean;
}

/**
 * Resolves secret references (and explicit `a || b` fallback chains) in connection URLs and
 * passwords, recording each reference's outcome. Every failure is collected into one
 * {@link ConfigError} naming the key path, unless `options.collectFailures`.
 */
export async function resolveConfigSecrets(
  config: CdcConfig,
  resolvers: readonly SecretResolver[],
  source = 'config',
  options: ResolveConfigSecretsOptions = {},
): Promise<ResolvedConfig> {
  const secrets: string[] = [];
  const issues: ConfigIssue[] = [];
  const references: SecretReferenceResult[] = [];
  const connections: CdcConfig['connections'] = {};
  for (const [name, connection] of Object.entries(config.connections)) {
    const resolved = { ...connection };
    for (const field of ['url', 'password'] as const) {
      const value = connection[field];
      if (value === undefined) continue;
      const path = ['connections', name, field];
      try {
        const out = await resolveSecretDetailed(value, resolvers);
        if (out === undefined) {
          if (field === 'password') secrets.push(value);
          continue;
        }
        secrets.push(out.value);
        resolved[field] = out.value;
        references.push({
          path: formatConfigPath(path),
          reference: value,
          status: 'resolved',
          resolvedBy: out.resolvedBy,
        });
      } catch (error) {
        const cdc = isCdcError(error) ? error : undefined;
        const message = cdc?.message ?? (error instanceof Error ? error.message : String(error));
        references.push({
          path: formatConfigPath(path),
          reference: value,
          status: 'failed',
          error: message,
          ...(cdc?.hint ? { hint: cdc.hint } : {}),
          code: cdc?.code ?? 'SECRET_UNRESOLVED',
        });
        issues.push({ path, message: cdc?.hint ? `${message}; ${cdc.hint}` : message });
      }
    }
    connections[name] = resolved;
  }
  // Defence in depth: no resolver message may carry a value resolved elsewhere in the file.
  const known = secrets.filter((s) => s.length >= 4);
  for (const r of references) {
    if (r.error) r.error = scrub(r.error, known);
    if (r.hint) r.hint = scrub(r.hint, known);
  }
  for (const issue of issues) issue.message = scrub(issue.message, known);
  if (issues.length > 0 && !options.collectFailures) throw new ConfigError(source, issues);
  return {
    config: { ...config, connections },
    secrets: secrets.filter((s) => s.length > 0),
    references,
  };
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, s) => out.split(s).join('***'), text);
}

/** The configuration's JSON Schema (draft 2020-12) for editors, generated from the zod schema. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(cdcConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
