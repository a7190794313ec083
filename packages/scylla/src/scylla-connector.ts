/**
 * The ScyllaDB/Cassandra {@link ConnectorDescriptor}: `scylla://` and `cassandra://` URLs as a source
 * (token-range scans, the CDC log). cassandra-driver, an optional peer, loads on first use.
 */
import type { ConnectorDescriptor } from '@cdc/core';
import { connectScylla } from './scylla-adapter.js';
import { loadCassandraDriver } from './scylla-driver.js';
import { parseScyllaUrl } from './scylla-options.js';

async function open(url: string) {
  return connectScylla({ url, driver: await loadCassandraDriver() });
}

/**
 * ScyllaDB (and Apache Cassandra 4.x) for `cdc` and `cdc-worker` (the built-in registry of
 * `@cdc/connectors` holds it). A table name without a keyspace resolves to the URL's keyspace.
 */
export const scyllaConnector: ConnectorDescriptor = {
  name: 'scylla',
  packageName: '@cdc/scylla',
  schemes: ['scylla', 'cassandra'],
  exampleUrl: 'scylla://user@host:9042/keyspace?dc=dc1',
  passwordVariables: ['SCYLLA_PASSWORD', 'CASSANDRA_PASSWORD'],
  capabilities: { scan: true, changeSource: true, sink: false, hashPushdown: false },
  defaultSchema(url) {
    try {
      return parseScyllaUrl(url).keyspace;
    } catch {
      return undefined;
    }
  },
  changeLogNote:
    "ScyllaDB CDC logs belong to the table (turn CDC off with ALTER TABLE … WITH cdc = {'enabled': false})",
  openScanSource: (url) => open(url),
  async openChangeSource(url) {
    return { source: await open(url) };
  },
};
