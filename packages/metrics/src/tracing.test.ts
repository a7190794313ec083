import {
  ROOT_CONTEXT,
  SpanStatusCode,
  context,
  trace,
  type Attributes,
  type Context,
  type ContextManager,
  type Span,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { SPAN_NAMES, TRACER_NAME, withSpan } from './tracing.js';

interface Recorded {
  tracer: string;
  name: string;
  attributes: Attributes;
  status: SpanStatus | undefined;
  exceptions: unknown[];
  ended: boolean;
  parent: string | undefined;
}

/** A minimal in-memory TracerProvider standing in for an SDK (the API's documented registration path). */
class RecordingProvider implements TracerProvider {
  readonly spans: Recorded[] = [];

  getTracer(name: string): Tracer {
    const spans = this.spans;
    const startSpan = (
      spanName: string,
      options: SpanOptions = {},
      ctx: Context = context.active(),
    ): Span => {
      const parentSpan = trace.getSpan(ctx);
      const record: Recorded = {
        tracer: name,
        name: spanName,
        attributes: { ...options.attributes },
        status: undefined,
        exceptions: [],
        ended: false,
        parent: parentSpan ? (parentSpan as unknown as { recordName: string }).recordName : undefined,
      };
      spans.push(record);
      const spanContext = {
        traceId: '0'.repeat(31) + '1',
        spanId: String(spans.length).padStart(16, '0'),
        traceFlags: 1,
      };
      const span = {
        recordName: spanName,
        spanContext: () => spanContext,
        setAttribute: (k: string, v: unknown) => {
          record.attributes[k] = v as never;
          return span;
        },
        setAttributes: (a: Attributes) => {
          Object.assign(record.attributes, a);
          return span;
        },
        addEvent: () => span,
        addLink: () => span,
        addLinks: () => span,
        setStatus: (s: SpanStatus) => {
          record.status = s;
          return span;
        },
        updateName: () => span,
        end: () => {
          record.ended = true;
        },
        isRecording: () => true,
        recordException: (e: unknown) => {
          record.exceptions.push(e);
        },
      };
      return span as unknown as Span;
    };
    const startActiveSpan = (spanName: string, ...rest: unknown[]): unknown => {
      const fn = rest.pop() as (span: Span) => unknown;
      const options = (rest[0] ?? {}) as SpanOptions;
      const parent = (rest[1] as Context | undefined) ?? context.active();
      const span = startSpan(spanName, options, parent);
      return context.with(trace.setSpan(parent, span), fn, undefined, span);
    };
    return { startSpan, startActiveSpan } as unknown as Tracer;
  }
}

/** What an SDK's AsyncLocalStorageContextManager does, so spans nest across awaits. */
class AlsContextManager implements ContextManager {
  readonly #als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

afterEach(() => {
  trace.disable();
  context.disable();
});

describe('withSpan', () => {
  it('is a no-op without a registered SDK but still runs the work', async () => {
    const result = await withSpan(SPAN_NAMES.reconcileRun, { 'cdc.table': 'dbo.orders' }, (span) => {
      expect(span.isRecording()).toBe(false);
      return 42;
    });
    expect(result).toBe(42);
  });

  it('records named spans with attributes, nesting, error status, and always ends them', async () => {
    const provider = new RecordingProvider();
    // What a user's SDK setup does (e.g. NodeSDK.start() or provider.register()).
    context.setGlobalContextManager(new AlsContextManager());
    trace.setGlobalTracerProvider(provider);
    await withSpan(SPAN_NAMES.reconcileRun, { 'cdc.run': 'r1' }, async () => {
      await withSpan(
        SPAN_NAMES.reconcileSegment,
        { 'cdc.table': 'dbo.orders', 'cdc.segment': 3 },
        async () => 'ok',
      );
    });
    const failure = withSpan(SPAN_NAMES.replicationApplyBatch, { 'cdc.pipeline': 'orders' }, async () => {
      throw new Error('apply failed for postgres://cdc:hunter2@db/app');
    });
    await expect(failure).rejects.toThrow('apply failed');

    expect(provider.spans.map((s) => [s.tracer, s.name, s.parent])).toEqual([
      [TRACER_NAME, 'cdc.reconcile.run', undefined],
      [TRACER_NAME, 'cdc.reconcile.segment', 'cdc.reconcile.run'],
      [TRACER_NAME, 'cdc.replication.apply_batch', undefined],
    ]);
    expect(provider.spans[1]?.attributes).toEqual({ 'cdc.table': 'dbo.orders', 'cdc.segment': 3 });
    expect(provider.spans.every((s) => s.ended)).toBe(true);
    const failed = provider.spans[2];
    expect(failed?.status?.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.status?.message).toBe('apply failed for postgres://cdc:[REDACTED]@db/app');
    expect(JSON.stringify(failed?.exceptions)).not.toContain('hunter2');
    expect(provider.spans[0]?.status).toBeUndefined();
    expect(context.active()).toBe(ROOT_CONTEXT);
  });
});
