/**
 * Client-side Murmur3 tokens of partition keys, so rows of another engine (the PostgreSQL target) can be
 * bucketed by the same token ranges as the Scylla side of a diff — no sorting of either side needed.
 */
import { CdcError, type Key, type TableSchema } from '@cdc/core';
import { parseCqlType, type CqlType } from './scylla-cql-types.js';
import { composePartitionKey, murmur3Token } from './scylla-murmur3.js';
import { tokenBucketOf } from './scylla-token-ranges.js';
import { serializeCqlValue } from './scylla-values.js';

/** The shape the diff engine accepts: the token of a primary key (partition-key values first). */
export interface TokenPartitioner {
  tokenOf(key: Key): bigint;
}

/**
 * Computes Cassandra/Scylla Murmur3 tokens of primary keys of one table from its partition-key CQL types.
 *
 * @example
 * const p = ScyllaPartitioner.forTable(schema); // schema from ScyllaAdapter.introspect
 * p.tokenOf([42, 'a']); // token of partition key 42 (clustering values are ignored)
 */
export class ScyllaPartitioner implements TokenPartitioner {
  readonly #types: readonly CqlType[];

  /** `partitionKeyTypes` are the CQL types of the partition-key columns in order. */
  constructor(partitionKeyTypes: readonly CqlType[]) {
    if (partitionKeyTypes.length === 0)
      throw new CdcError('INVALID_ARGUMENT', 'A partition key has at least one column.');
    this.#types = partitionKeyTypes;
  }

  /**
   * Builds a partitioner from a table schema introspected from ScyllaDB (`partitionKeyLength` and the
   * columns' `nativeType`). User types in the partition key need the resolved types: pass `resolved`
   * (what {@link ScyllaAdapter.cqlTypesOf} returns) in that case.
   */
  static forTable(schema: TableSchema, resolved?: ReadonlyMap<string, CqlType>): ScyllaPartitioner {
    const n = schema.partitionKeyLength;
    if (n === undefined || n < 1) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `Table ${schema.id.name} has no partitionKeyLength; introspect it from ScyllaDB.`,
      );
    }
    const types = schema.primaryKey.slice(0, n).map((name) => {
      const hit = resolved?.get(name);
      if (hit) return hit;
      const col = schema.columns.find((c) => c.name === name);
      if (!col) throw new CdcError('COLUMN_NOT_FOUND', `Partition-key column ${name} is not in the schema.`);
      return parseCqlType(col.nativeType);
    });
    return new ScyllaPartitioner(types);
  }

  /** Number of partition-key columns. */
  get partitionKeyLength(): number {
    return this.#types.length;
  }

  /** Serialized partition key (what Scylla hashes) of the leading partition-key values of `key`. */
  partitionKeyBytes(key: Key): Uint8Array {
    if (key.length < this.#types.length) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        `A key needs ${this.#types.length} partition-key values, got ${key.length}.`,
      );
    }
    return composePartitionKey(
      this.#types.map((t, i) => {
        const v = key[i];
        if (v === null || v === undefined)
          throw new CdcError('INVALID_ARGUMENT', 'Partition-key values cannot be NULL.');
        return serializeCqlValue(v, t);
      }),
    );
  }

  /** The Murmur3 token of the key's partition. */
  tokenOf(key: Key): bigint {
    return murmur3Token(this.partitionKeyBytes(key));
  }

  /** The bucket of `key` for `Bucketing { kind: 'token', ends }`. */
  bucketOf(key: Key, ends: readonly bigint[]): number {
    return tokenBucketOf(this.tokenOf(key), ends);
  }
}
