/**
 * Removes secrets from cdc's diagnostics (stderr lines, error texts): passwords in URLs and the values of
 * resolved secrets. Results never pass through it: they carry names, keys and values exactly as read.
 */

const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]*)@/gi;

const wordChar = /[\p{L}\p{N}_]/u;

/** A pattern matching `secret` as a whole token: not glued to letters, digits or `_` on a side that is one. */
function tokenPattern(secret: string): RegExp {
  const escaped = secret.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  const before = wordChar.test(secret[0]!) ? '(?<![\\p{L}\\p{N}_])' : '';
  const after = wordChar.test(secret[secret.length - 1]!) ? '(?![\\p{L}\\p{N}_])' : '';
  return new RegExp(`${before}${escaped}${after}`, 'gu');
}

/**
 * Collects secret values as they are resolved and masks them in diagnostics. Masking by value hides a
 * secret a driver echoes, but also a table name, key or value that happens to equal it: never apply it
 * to results (put URLs into results through `redactUrl` from @cdc/core instead).
 */
export class Redactor {
  readonly #secrets = new Map<string, RegExp>();

  /** Registers a secret; values shorter than 3 characters are not masked (too many false hits). */
  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 3) {
      for (const form of new Set([secret, encodeURIComponent(secret)])) {
        if (!this.#secrets.has(form)) this.#secrets.set(form, tokenPattern(form));
      }
    }
  }

  /**
   * Masks URL passwords and every registered secret with `***`. A secret is masked where it stands as a
   * whole token, so `orders_2024` stays readable when the password is `orders`.
   */
  redact(text: string): string {
    let out = text.replace(urlPassword, '$1:***@');
    // Longest first, so a secret containing another is masked whole.
    for (const [secret, pattern] of [...this.#secrets].sort(([a], [b]) => b.length - a.length)) {
      if (out.includes(secret)) out = out.replace(pattern, '***');
    }
    return out;
  }
}
