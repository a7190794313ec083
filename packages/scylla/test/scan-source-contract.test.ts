/**
 * The generic adapter contract suite of @cdc/testkit against a real ScyllaDB (or Apache Cassandra)
 * cluster (CI: the `contract-scylla` job). Runs only when CDC_TEST_SCYLLA_URL is set; otherwise it is
 * registered as skipped with the reason in its name, and a notice is printed. The suite checks token
 * order inside each token split (the order this source declares) with the client-side Murmur3
 * partitioner. CQL types, server tokens and CDC are in `contract.test.ts`.
 */
import { describeScanSourceContract } from '@cdc/testkit';
import * as cassandra from 'cassandra-driver';
import { connectScylla } from '../src/scylla-adapter.js';
import { parseScyllaUrl } from '../src/scylla-options.js';
import { ScyllaPartitioner } from '../src/scylla-partitioner.js';
import {
  SCYLLA_CONTRACT_TYPES,
  SCYLLA_SKIP,
  SCYLLA_URL,
  ScyllaTestKeyspace,
  warnScyllaSkipped,
} from './scylla-test-cluster.js';

warnScyllaSkipped('the generic ScanSource contract suite');

// Its own keyspace: test files run in parallel, and contract.test.ts recreates the URL's keyspace.
const keyspace = `${(SCYLLA_URL ? parseScyllaUrl(SCYLLA_URL).keyspace : undefined) ?? 'cdc_test'}_contract`;
let ks: ScyllaTestKeyspace | undefined;
const testKeyspace = async () => (ks ??= await ScyllaTestKeyspace.create(SCYLLA_URL as string, keyspace));

describeScanSourceContract('scylla', {
  ...(SCYLLA_SKIP ? { skip: SCYLLA_SKIP } : {}),
  timeoutMs: 120_000,
  connect: async () => {
    await testKeyspace();
    return connectScylla({ url: SCYLLA_URL as string, driver: cassandra, keyspace });
  },
  createTable: async (table) => (await testKeyspace()).createContractTable(table),
  teardown: async () => {
    await ks?.drop();
    ks = undefined;
  },
  partitioner: (schema) => ScyllaPartitioner.forTable(schema),
  types: SCYLLA_CONTRACT_TYPES,
});
