/** Tells ScyllaDB from Apache Cassandra by their system tables, so Scylla-only CQL is used only on Scylla. */

/** Which engine answers. */
export type ScyllaFlavor = 'scylla' | 'cassandra';

/** What the adapter learnt about the cluster on connect. */
export interface ClusterInfo {
  flavor: ScyllaFlavor;
  /** Scylla: `system.versions.version` (e.g. `6.2.1`); Cassandra: `release_version`. */
  version: string;
  /** `release_version` of `system.local` (Scylla reports a Cassandra-compatible one, e.g. `3.0.8`). */
  releaseVersion: string;
  clusterName: string;
}

/** Tables only ScyllaDB has in its `system` keyspace. */
export const SCYLLA_ONLY_SYSTEM_TABLES = [
  'scylla_local',
  'versions',
  'large_partitions',
  'cdc_local',
  'raft',
] as const;

/** Classifies the engine from the names of its `system` tables and its version strings. */
export function classifyCluster(input: {
  systemTables: readonly string[];
  releaseVersion?: string | null;
  scyllaVersion?: string | null;
  clusterName?: string | null;
}): ClusterInfo {
  const names = new Set(input.systemTables);
  const scylla = SCYLLA_ONLY_SYSTEM_TABLES.some((t) => names.has(t)) || !!input.scyllaVersion;
  const releaseVersion = input.releaseVersion ?? 'unknown';
  return {
    flavor: scylla ? 'scylla' : 'cassandra',
    version: scylla ? (input.scyllaVersion ?? releaseVersion) : releaseVersion,
    releaseVersion,
    clusterName: input.clusterName ?? '',
  };
}
