/**
 * @cdc/mysql — MariaDB/MySQL source for cdc (`mysql://`, `mariadb://`), written against the public API
 * of `@cdc/core` only: introspection, keyset scans, counts, splits, lookups and in-database hashing.
 * @packageDocumentation
 */
export {};
