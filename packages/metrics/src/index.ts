/**
 * @cdc/metrics — observability for cdc: the Prometheus metric catalog (`docs/metrics.md`), the
 * `/metrics` `/healthz` `/readyz` HTTP server, structured pino logs with correlation ids and secret
 * redaction, and OpenTelemetry span helpers (no-op until an SDK is registered).
 * @packageDocumentation
 */
export type { MetricDefinition, CdcMetricName, CdcMetrics, CdcMetricsOptions } from './metrics-catalog.js';
export { METRIC_CATALOG, createCdcMetrics } from './metrics-catalog.js';
export type {
  ReadinessResult,
  ReadinessCheck,
  ReadinessCheckReport,
  ReadinessReport,
  MetricsServerOptions,
  MetricsServer,
  HttpRouteRequest,
  HttpRouteAnswer,
} from './metrics-server.js';
export { startMetricsServer, STATUS_PATH, TOKEN_COOKIE } from './metrics-server.js';
export { REDACTED, SecretRedactor, redactText, redactValue, isSensitiveKey } from './log-redaction.js';
export type { CorrelationIds, CreateLoggerOptions, Logger } from './logger.js';
export { createLogger, runWithCorrelation, currentCorrelation, withCorrelation } from './logger.js';
export { TRACER_NAME, SPAN_NAMES, withSpan } from './tracing.js';
