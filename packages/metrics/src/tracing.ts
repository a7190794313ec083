/**
 * OpenTelemetry spans around cdc's units of work (reconcile runs, segments, apply batches) through
 * `@opentelemetry/api` only: without a registered SDK every span is a no-op costing almost nothing.
 * Registering an SDK (see docs/metrics.md) turns them into real traces.
 */
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { redactText } from './log-redaction.js';

/** The tracer name cdc's spans are created under. */
export const TRACER_NAME = '@cdc/metrics';

/** Span names used across cdc, so dashboards and queries can rely on them. */
export const SPAN_NAMES = {
  reconcileRun: 'cdc.reconcile.run',
  reconcileSegment: 'cdc.reconcile.segment',
  replicationApplyBatch: 'cdc.replication.apply_batch',
  repairApply: 'cdc.repair.apply',
} as const;

/**
 * Runs `fn` inside an active span named `name` with `attributes`; records an exception and sets the
 * error status when `fn` throws, and always ends the span. The span is a no-op unless an
 * OpenTelemetry SDK is registered.
 *
 * @example
 * ```ts
 * await withSpan(SPAN_NAMES.replicationApplyBatch, { 'cdc.pipeline': 'orders', 'cdc.batch.size': 500 },
 *   () => sink.apply(batch, position));
 * ```
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      // Exporters ship span data off-host: the message is redacted like a log line.
      const message = redactText(error instanceof Error ? error.message : String(error));
      span.recordException({ name: error instanceof Error ? error.name : 'Error', message });
      span.setStatus({ code: SpanStatusCode.ERROR, message });
      throw error;
    } finally {
      span.end();
    }
  });
}
