/**
 * @cdc/console — what cdc shows, in one place for both apps: the versioned status document (`cdc status`,
 * the worker's `GET /api/v1/status`), the stored differences and repairs the console pages through, the
 * worker's web console, and the reconciliation report renderers (text, markdown, HTML).
 * @packageDocumentation
 */
export type {
  CollectStatusDocumentOptions,
  LagSample,
  PipelineRunState,
  RepairStatus,
  StatusDocument,
  StatusPipeline,
} from './status-document.js';
export {
  LAG_HISTORY_SIZE,
  STATUS_DOCUMENT_VERSION,
  collectStatusDocument,
  renderStatusText,
  statusDocument,
} from './status-document.js';
export type {
  CollectTableStatusOptions,
  DriftPoint,
  TableStatus,
  TableVerification,
} from './table-status.js';
export { DRIFT_HISTORY_SIZE, collectTableStatus, tableStream } from './table-status.js';
export type { DifferencePage, DifferenceView, ListDifferencesOptions } from './table-differences.js';
export { MASKED, listDifferences, listRepairs, maskedColumns } from './table-differences.js';
export type { ReportDifference, ReportRun, ReportTable } from './reconcile-report.js';
export {
  REPORT_DIFFERENCES_PER_TABLE,
  driftOf,
  renderDriftChart,
  renderHtmlReport,
  renderRunMarkdown,
  renderRunText,
} from './reconcile-report.js';
export { PipelineActivity } from './pipeline-activity.js';
export type { ConsoleAnswer, ConsoleRequest, ConsoleRoutesOptions } from './console-routes.js';
export { DIFFERENCES_PATH, consolePage, consoleRoutes, consoleScript } from './console-routes.js';
export { CONSOLE_CSS } from './console-style.js';
