/**
 * The `verify:` block of a pipeline (always-on verification, `docs/verification.md`): changed-key
 * verification after each committed batch, the rate-limited sweep, and what to do with differences.
 */
import { z } from 'zod';

const clock = /^([01]\d|2[0-3]):[0-5]\d$/;

/** One quiet-hours window, `HH:MM-HH:MM` (the end may be earlier than the start: the window spans midnight). */
export const quietHoursSchema = z
  .string()
  .refine(
    (value) => {
      const [from, to, ...rest] = value.split('-');
      return rest.length === 0 && clock.test(from ?? '') && clock.test(to ?? '') && from !== to;
    },
    { error: 'use HH:MM-HH:MM with two different 24-hour times, e.g. "08:00-18:00" or "22:00-02:00"' },
  )
  .meta({ description: 'A daily window in which the sweep pauses, HH:MM-HH:MM.', examples: ['08:00-18:00'] });

/** A time zone name `Intl` knows (IANA), e.g. `UTC`, `Europe/Berlin`. */
const timeZoneSchema = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'use an IANA time zone name, e.g. "UTC" or "Europe/Berlin"' },
);

/** Changed-key verification. */
export const verifyChangedSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .optional()
      .meta({ description: 'Verify the keys of every committed batch. Default true.' }),
    queueKeys: z
      .int()
      .min(100)
      .max(10_000_000)
      .optional()
      .meta({
        description:
          'Keys waiting for verification at most. Past half of it keys are sampled (cdc_verify_sampled_total counts ' +
          'those left to the sweep); the apply never waits. Default 100000.',
      }),
    recheckAfterMs: z
      .int()
      .min(0)
      .max(600_000)
      .optional()
      .meta({
        description:
          'Live re-check of a differing key after at least this long, and once replication has applied the source ' +
          'as of the first read; only differences that persist while the source row stays unchanged are reported. ' +
          'Default 1000.',
      }),
    idleMs: z
      .int()
      .min(100)
      .max(600_000)
      .optional()
      .meta({
        description:
          'No batch applied for this long means replication has nothing pending, so a re-check need not wait for ' +
          'a newer batch. Must exceed how long a committed source change can take to show in the change stream. ' +
          'Default: 2000 for PostgreSQL and MySQL sources, 10000 for SQL Server (capture job polling) and ScyllaDB.',
      }),
  })
  .meta({
    description: 'Changed-key verification: keys of committed batches re-read on both sides by lookup.',
  });

/** The continuous sweep. */
export const verifySweepSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .optional()
      .meta({ description: 'Sweep every table forever with bucket hashes. Default true.' }),
    rowsPerSecond: z
      .int()
      .min(1)
      .max(100_000_000)
      .optional()
      .meta({ description: 'Source rows the sweep reads per second (the whole pipeline). Default 1000.' }),
    concurrency: z.int().min(1).max(64).optional().meta({ description: 'Tables swept at once. Default 1.' }),
    segmentRows: z.int().min(10).max(10_000_000).optional().meta({
      description:
        'Rows per checkpointed segment (key or token range). Default: 5 seconds of rowsPerSecond, 1000 to 100000.',
    }),
    minIntervalSeconds: z
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional()
      .meta({
        description: 'A table sweep starts at least this long after the previous one started. Default 60.',
      }),
    quietHours: z.array(quietHoursSchema).optional(),
    timeZone: timeZoneSchema
      .optional()
      .meta({ description: 'Time zone of quietHours. Default UTC.', examples: ['Europe/Berlin'] }),
  })
  .meta({
    description: 'The continuous sweep: a rate-limited pass over every table, checkpointed, forever.',
  });

/** The `verify` block of a pipeline. */
export const verifySchema = z
  .strictObject({
    enabled: z
      .boolean()
      .optional()
      .meta({ description: 'Always-on verification of this pipeline. Default true.' }),
    changed: verifyChangedSchema.optional(),
    sweep: verifySweepSchema.optional(),
    repair: z
      .enum(['report', 'apply'])
      .optional()
      .meta({
        description:
          'report (default): store persistent differences in cdc_meta; apply: also repair them with the guarded ' +
          'repair, audited in cdc_meta.repairs.',
      }),
    maxDiffs: z.int().min(1).max(1_000_000).optional().meta({
      description: 'Differences listed per check (a batch of keys or a sweep segment). Default 1000.',
    }),
  })
  .meta({
    description:
      'Always-on verification (docs/verification.md): changed keys, a continuous sweep, a verified-through mark.',
  });

/** A pipeline's `verify` block. */
export type VerifyConfig = z.infer<typeof verifySchema>;
