/**
 * Redaction of secrets from anything that is logged or served: passwords in URLs, token-like query
 * parameters and bearer credentials in text, sensitive keys in objects, and the exact values of
 * resolved secrets registered in a {@link SecretRedactor}.
 */

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

/** Values shorter than this are not redacted by value (they would shred ordinary text); keys still are. */
const MIN_SECRET_LENGTH = 4;

// The password part is greedy up to the last `@` of the token: unescaped `@` in passwords is common.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*):([^\s"']*)@/gi;
const SECRET_QUERY =
  /([?&;](?:password|passwd|pwd|pass|token|access_token|secret|secret_id|api_?key|key|auth)=)[^&\s"';]*/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/g;
const VAULT_TOKEN = /\bhv[sbr]\.[A-Za-z0-9_-]{8,}/g;
const SENSITIVE_KEY =
  /^(password|passwd|pwd|pass|passphrase|secret|secretid|clientsecret|token|accesstoken|refreshtoken|clienttoken|authtoken|bearertoken|idtoken|sessiontoken|vaulttoken|xvaulttoken|apikey|authorization|cookie|setcookie|jwt|privatekey|credentials?|connectionstring)$/;

/**
 * A set of secret values (resolved references, tokens) to cut out of every log line.
 *
 * @example
 * ```ts
 * const secrets = new SecretRedactor();
 * await resolveSecretReferences(config, resolvers, { onSecret: (v) => secrets.add(v) });
 * const log = createLogger({ secrets });
 * ```
 */
export class SecretRedactor {
  readonly #values = new Set<string>();

  /** Registers a secret value; short values (< 4 chars) are ignored. */
  add(value: string): void {
    if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) {
      this.#values.add(value);
      // The same secret as it appears inside a JSON string literal.
      const escaped = JSON.stringify(value).slice(1, -1);
      if (escaped !== value) this.#values.add(escaped);
    }
  }

  /** Number of registered values. */
  get size(): number {
    return this.#values.size;
  }

  /** Replaces every registered value in `text` (longest first, so overlapping secrets both vanish). */
  redact(text: string): string {
    if (this.#values.size === 0) return text;
    let out = text;
    for (const v of [...this.#values].sort((a, b) => b.length - a.length)) {
      if (out.includes(v)) out = out.split(v).join(REDACTED);
    }
    return out;
  }
}

/** Redacts URL passwords, secret query parameters, bearer/basic credentials and Vault tokens in text. */
export function redactText(text: string, secrets?: SecretRedactor): string {
  const out = text
    .replace(URL_CREDENTIALS, `$1:${REDACTED}@`)
    .replace(SECRET_QUERY, `$1${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(VAULT_TOKEN, REDACTED);
  return secrets ? secrets.redact(out) : out;
}

/** True for object keys whose values are secrets (`password`, `token`, `secretId`, `X-Vault-Token`…). */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key.toLowerCase().replace(/[-_\s]/g, ''));
}

/**
 * A redacted deep copy of `value`: sensitive keys become `[REDACTED]`, strings pass through
 * {@link redactText}, errors become plain objects with redacted message and stack. Cycles are cut.
 */
export function redactValue(value: unknown, secrets?: SecretRedactor, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    const plain: Record<string, unknown> = {
      type: value.name,
      message: redactText(value.message, secrets),
      stack: value.stack === undefined ? undefined : redactText(value.stack, secrets),
    };
    for (const [k, v] of Object.entries(value)) {
      plain[k] = isSensitiveKey(k) ? REDACTED : redactValue(v, secrets, seen);
    }
    if (value.cause !== undefined) plain.cause = redactValue(value.cause, secrets, seen);
    return plain;
  }
  if (value instanceof URL) return redactText(value.toString(), secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets, seen));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      isSensitiveKey(k) && v !== null && v !== undefined && v !== ''
        ? REDACTED
        : redactValue(v, secrets, seen);
  }
  return out;
}
