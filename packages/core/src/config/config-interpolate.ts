/**
 * `${NAME}` interpolation of configuration strings from the environment, applied to parsed YAML scalars
 * (never to raw text, so quoting cannot break). `${NAME:-default}` supplies a default, `$${` a literal `${`.
 */

/** A variable that is referenced but not set, with where it was used. */
export interface MissingVariable {
  name: string;
  path: (string | number)[];
}

const pattern = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}?/g;

/** Interpolates one string; returns the names of unset variables (without defaults) it referenced. */
export function interpolateString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): { value: string; missing: string[]; malformed: string[] } {
  const missing: string[] = [];
  const malformed: string[] = [];
  const value = text.replace(
    pattern,
    (match: string, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      if (name === undefined) {
        malformed.push(match);
        return match;
      }
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      missing.push(name);
      return match;
    },
  );
  return { value, missing, malformed };
}

/** Deep-interpolates every string in a parsed document. */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: (string | number)[] = [],
  problems: { missing: MissingVariable[]; malformed: MissingVariable[] } = { missing: [], malformed: [] },
): { value: unknown; missing: MissingVariable[]; malformed: MissingVariable[] } {
  const walk = (v: unknown, p: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      const r = interpolateString(v, env);
      for (const name of r.missing) problems.missing.push({ name, path: p });
      for (const name of r.malformed) problems.malformed.push({ name, path: p });
      return r.value;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...p, i]));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...p, k])]));
    }
    return v;
  };
  return { value: walk(value, path), ...problems };
}
