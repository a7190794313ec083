import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isCdcError } from '@cdc/core';
import { KafkaConnectClient } from '@cdc/kafka-connect';
import { KafkaConnectFake } from '@cdc/testkit';
import { registerConnectorsCommand } from './connectors.js';

const PASSWORD = `s3"cr'$e{t}\\x`;

let fake: KafkaConnectFake;
beforeAll(async () => {
  fake = await KafkaConnectFake.start();
});
afterAll(async () => {
  await fake.close();
});

function configFile() {
  return {
    kafka: { connect: { url: fake.url }, bootstrapServers: 'kafka:9092' },
    pipelines: [
      {
        name: 'orders',
        mode: 'kafka-connect',
        source: {
          type: 'sqlserver',
          host: 'mssql',
          database: 'shop',
          user: 'cdc_reader',
          password: PASSWORD,
          tables: ['dbo.orders'],
        },
        target: {
          host: 'pg',
          database: 'warehouse',
          user: 'cdc_writer',
          password: { provider: 'vault', path: 'secret/data/cdc/pg', key: 'password' },
        },
      },
      { name: 'local', mode: 'embedded' },
    ],
  };
}

interface Run {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

async function run(...args: string[]): Promise<Run> {
  return runWith([...args, '--config', 'cdc.yaml']);
}

async function runWith(args: string[]): Promise<Run> {
  const result: Run = { stdout: '', stderr: '', exitCode: undefined };
  const program = new Command('cdc').exitOverride();
  registerConnectorsCommand(program, {
    loadConfig: async (path) => {
      expect(path).toBe('cdc.yaml');
      return configFile();
    },
    stdout: (t) => void (result.stdout += t),
    stderr: (t) => void (result.stderr += t),
    setExitCode: (code) => void (result.exitCode = code),
    createClient: (kafka) =>
      new KafkaConnectClient({
        url: kafka.connect.url,
        retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
      }),
  });
  await program.parseAsync(['node', 'cdc', 'connectors', ...args]);
  return result;
}

describe('cdc connectors', () => {
  beforeEach(async () => {
    const client = new KafkaConnectClient({ url: fake.url });
    for (const name of await client.listConnectors()) await client.delete(name);
  });

  it('render prints the REST payloads as a JSON array, secrets masked unless asked', async () => {
    const masked = JSON.parse((await run('render')).stdout) as {
      name: string;
      config: Record<string, string>;
    }[];
    expect(masked.map((c) => c.name)).toEqual(['orders-source', 'orders-sink']);
    expect(masked[0]?.config['database.password']).toBe('********');
    expect(masked[1]?.config['connection.password']).toBe('${vault:secret/data/cdc/pg:password}');
    const shown = JSON.parse((await run('render', '--show-secrets')).stdout) as {
      config: Record<string, string>;
    }[];
    expect(shown[0]?.config['database.password']).toBe(PASSWORD);
  });

  it('render --role sink --pipeline orders narrows the output', async () => {
    const out = JSON.parse(
      (await run('render', '--pipeline', 'orders', '--role', 'sink')).stdout,
    ) as unknown[];
    expect(out).toHaveLength(1);
  });

  it('deploy is idempotent and status reports states', async () => {
    expect((await run('deploy')).stdout).toBe('orders-source: created\norders-sink: created\n');
    expect((await run('deploy')).stdout).toBe('orders-source: unchanged\norders-sink: unchanged\n');
    expect(fake.connector('orders-source')?.config['database.password']).toBe(PASSWORD);
    const status = await run('status');
    expect(status.stdout).toContain('orders-sink  RUNNING');
    expect(status.exitCode).toBeUndefined();
  });

  it('deploy --dry-run writes nothing and lists changes', async () => {
    expect((await run('deploy', '--dry-run')).stdout).toBe(
      'orders-source: would create\norders-sink: would create\n',
    );
    expect(fake.connector('orders-source')).toBeUndefined();
    await run('deploy');
    expect((await run('deploy', '--dry-run', '--role', 'sink')).stdout).toBe(
      'orders-sink: would stay unchanged\n',
    );
  });

  it('deploy --wait waits for RUNNING and fails with the task trace', async () => {
    expect((await run('deploy', '--wait', '5')).stdout).toBe(
      'orders-source: created\norders-source: RUNNING\norders-sink: created\norders-sink: RUNNING\n',
    );
    await run('stop', '--wait');
    expect(fake.connector('orders-sink')?.state).toBe('STOPPED');
    await expect(run('deploy', '--wait', 'soon')).rejects.toThrow(/--wait takes a number of seconds/);
  });

  it('status exits 1 on a failed task and restart brings it back', async () => {
    await run('deploy');
    fake.failTask('orders-sink', 0, 'java.sql.SQLException: boom\n\tat x');
    const failed = await run('status', '--json');
    expect(failed.exitCode).toBe(1);
    expect(JSON.parse(failed.stdout)[1].tasks[0].state).toBe('FAILED');
    const restart = await run('restart', '--role', 'sink');
    expect(restart.stdout).toBe('orders-sink: restart requested (connector kept, tasks restarting: 0)\n');
    expect((await run('status')).exitCode).toBeUndefined();
  });

  it('pause, resume, scale and delete go through the REST API', async () => {
    expect((await run('status')).stdout).toContain('orders-source  NOT DEPLOYED');
    await run('deploy');
    await run('pause');
    expect(fake.connector('orders-source')?.state).toBe('PAUSED');
    expect((await run('resume')).stdout).toBe(
      'orders-sink: resume requested\norders-source: resume requested\n',
    );
    expect(fake.connector('orders-sink')?.state).toBe('RUNNING');
    expect((await run('scale', '3')).stdout).toBe('orders-sink: tasks.max=3 (updated)\n');
    expect(fake.connector('orders-sink')?.tasks).toHaveLength(3);
    expect((await run('delete')).stdout).toBe('orders-source: deleted\norders-sink: deleted\n');
  });

  it('stops and resets source offsets only with --yes', async () => {
    await run('deploy');
    fake.setOffsets('orders-source', [{ partition: { server: 'orders' }, offset: { commit_lsn: '1' } }]);
    await expect(run('reset-offsets', '--role', 'source')).rejects.toThrow(/replays/);
    await expect(run('reset-offsets', '--role', 'source', '--yes')).rejects.toThrow(/STOPPED/);
    expect((await run('stop', '--role', 'source')).stdout).toBe('orders-source: stop requested\n');
    expect((await run('reset-offsets', '--role', 'source', '--yes')).stdout).toBe(
      'orders-source: offsets reset\n',
    );
    expect(fake.connector('orders-source')?.offsets).toEqual([]);
  });

  it('takes the configuration from CDC_CONFIG when --config is absent', async () => {
    const saved = process.env.CDC_CONFIG;
    try {
      delete process.env.CDC_CONFIG;
      await expect(runWith(['render'])).rejects.toThrow(/No configuration file/);
      process.env.CDC_CONFIG = 'cdc.yaml';
      expect(JSON.parse((await runWith(['render'])).stdout)).toHaveLength(2);
    } finally {
      if (saved === undefined) delete process.env.CDC_CONFIG;
      else process.env.CDC_CONFIG = saved;
    }
  });

  it('fails with a CdcError for a bad role or task count', async () => {
    await expect(run('render', '--role', 'both')).rejects.toSatisfy(
      (e) => isCdcError(e) && /--role/.test(e.message),
    );
    await expect(run('scale', 'zero')).rejects.toThrow(/positive integer/);
  });
});
