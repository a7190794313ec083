/** Removes secrets from every line cdc prints: registered secret values and passwords inside URLs. */

const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]*)@/gi;

/** Collects secret values as they are resolved and masks them (and URL passwords) in text. */
export class Redactor {
  readonly #secrets = new Set<string>();

  /** Registers a secret; values shorter than 3 characters are not masked (too many false hits). */
  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 3) {
      this.#secrets.add(secret);
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) this.#secrets.add(encoded);
    }
  }

  /** Masks every registered secret and every `user:password@` in URLs with `***`. */
  redact(text: string): string {
    let out = text.replace(urlPassword, '$1:***@');
    // Longest first, so a secret containing another is masked whole.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join('***');
    }
    return out;
  }
}
