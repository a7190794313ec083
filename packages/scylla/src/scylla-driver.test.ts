import { describe, expect, it } from 'vitest';
import { loadCassandraDriver } from './scylla-driver.js';

describe('loadCassandraDriver (optional peer dependency)', () => {
  it('loads the installed driver', async () => {
    const driver = await loadCassandraDriver();
    expect(typeof driver.Client).toBe('function');
    expect(driver.types.consistencies.localQuorum).toBeDefined();
  });
  it('a missing driver says how to install it', async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find module 'cassandra-driver'"), { code: 'MODULE_NOT_FOUND' });
    };
    await expect(loadCassandraDriver(missing)).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      message: 'the ScyllaDB driver "cassandra-driver" is not installed',
      hint: 'it is an optional peer dependency of cdc: npm install cassandra-driver',
    });
  });
  it('a driver that is installed but fails to load is not called missing', async () => {
    const broken = async () => {
      throw new Error('native binding mismatch');
    };
    await expect(loadCassandraDriver(broken)).rejects.toMatchObject({
      message: 'the ScyllaDB driver "cassandra-driver" could not be loaded: native binding mismatch',
      hint: 'reinstall it: npm install cassandra-driver',
    });
  });
});
