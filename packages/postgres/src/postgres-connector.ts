/**
 * The PostgreSQL {@link ConnectorDescriptor}: `postgres://` and `postgresql://` URLs as a source (scans,
 * in-database hashing, logical decoding) and as the replication target.
 */
import type { ConnectorDescriptor } from '@cdc/core';
import { connectPostgres } from './postgres-adapter.js';
import { postgresPipelineChangeSource } from './postgres-change-source.js';
import { PostgresSink } from './postgres-sink.js';

/**
 * PostgreSQL for `cdc` and `cdc-worker`: register it in a connector registry (the built-in registry of
 * `@cdc/connectors` already holds it) or build a plugin on it.
 */
export const postgresConnector: ConnectorDescriptor = {
  name: 'postgres',
  packageName: '@cdc/postgres',
  schemes: ['postgres', 'postgresql'],
  exampleUrl: 'postgres://user@host:5432/db',
  passwordVariables: ['PGPASSWORD'],
  capabilities: { scan: true, changeSource: true, sink: true, hashPushdown: true },
  defaultSchema: () => 'public',
  openScanSource(url, options = {}) {
    return Promise.resolve(
      connectPostgres({
        url,
        ...(options.applicationName ? { applicationName: options.applicationName } : {}),
      }),
    );
  },
  openChangeSource(url, options) {
    const source = postgresPipelineChangeSource(url, options.pipeline, options.tables, options.onWarning);
    return Promise.resolve({
      source,
      dropSlot: async () => ({ slot: source.slot, dropped: await source.dropSlot() }),
    });
  },
  openSink(url, options) {
    return Promise.resolve(
      PostgresSink.open({ url, applicationName: options.applicationName ?? `cdc-sink:${options.pipeline}` }),
    );
  },
};
