/**
 * Secrets in connector configs: config-provider references that Kafka Connect resolves itself, or
 * resolved values placed whole as JSON string values. A secret is never concatenated into other text
 * (URLs, JAAS lines), so no quoting rule of another format can break or leak it.
 */
import { CdcError } from '@cdc/core';
import type { SecretValue } from './kafka-connect-config.js';

/**
 * Kafka's ConfigTransformer pattern: `${provider:[path:]key}`. A resolved value matching it would be
 * re-interpreted by the worker, so such values are refused rather than silently rewritten.
 */
const CONFIG_PROVIDER_REFERENCE = /\$\{[^}]*?:[^}]*?\}/;

/** True when `value` contains text Kafka Connect would treat as a config-provider reference. */
export function containsConfigProviderReference(value: string): boolean {
  return CONFIG_PROVIDER_REFERENCE.test(value);
}

/**
 * Renders a secret for the connector config property `field`: `${provider:path:key}` for a
 * provider reference, the value itself otherwise. Throws `CONFIG_INVALID` (without the value) when a
 * resolved value would be mistaken for a reference.
 */
export function renderSecret(value: SecretValue, field: string): string {
  if (typeof value === 'string') {
    if (containsConfigProviderReference(value)) {
      throw new CdcError(
        'CONFIG_INVALID',
        `The resolved value for "${field}" contains a "\${…:…}" sequence that Kafka Connect would treat as a config-provider reference.`,
        {
          hint: 'Reference the secret through a config provider instead, e.g. {provider: vault, path: secret/data/cdc/db, key: password}.',
        },
      );
    }
    return value;
  }
  if (value.provider === 'env') {
    if (value.path) {
      throw new CdcError(
        'CONFIG_INVALID',
        `"${field}": the env config provider takes only a key, not a path.`,
        {
          hint: 'Write {provider: env, key: VARIABLE_NAME}.',
        },
      );
    }
    return `\${env:${value.key}}`;
  }
  if (!value.path) {
    throw new CdcError('CONFIG_INVALID', `"${field}": the ${value.provider} config provider needs a path.`, {
      hint: `Write {provider: ${value.provider}, path: <path>, key: ${value.key}}.`,
    });
  }
  return `\${${value.provider}:${value.path}:${value.key}}`;
}

/** True when the secret is a resolved value (and must therefore be masked when shown). */
export function isResolvedSecret(value: SecretValue | undefined): value is string {
  return typeof value === 'string';
}
