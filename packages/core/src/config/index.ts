/** The configuration file: schema, loading, `${ENV}` interpolation, secret references, JSON Schema. */
export type {
  CdcConfig,
  ConnectionConfig,
  PipelineConfig,
  KafkaConnectPipelineStub,
  PipelineTableConfig,
  BatchConfig,
  MaskKindConfig,
  ReconcileConfig,
  ReconcileAlgorithm,
} from './config-schema.js';
export {
  cdcConfigSchema,
  embeddedPipelines,
  kafkaConnectPipelineStubSchema,
  connectionSchema,
  pipelineSchema,
  pipelineTableSchema,
  batchSchema,
  maskKindSchema,
  slotNameSchema,
  reconcileSchema,
  metricsSchema,
  algorithmSchema,
  tableNameSchema,
  configNameSchema,
} from './config-schema.js';
export type {
  ConfigIssue,
  ParseConfigOptions,
  ResolvedConfig,
  ResolveConfigSecretsOptions,
  SecretReferenceResult,
} from './config-load.js';
export {
  ConfigError,
  parseConfig,
  loadConfigFile,
  resolveConfigSecrets,
  configJsonSchema,
  formatConfigPath,
  formatConfigIssue,
} from './config-load.js';
export type { SecretResolver, SecretResolution } from './config-secrets.js';
export {
  envSecretResolver,
  fileSecretResolver,
  defaultSecretResolvers,
  resolveSecret,
  resolveSecretDetailed,
  parseSecretReference,
} from './config-secrets.js';
export type { MissingVariable } from './config-interpolate.js';
export { interpolateEnv, interpolateString } from './config-interpolate.js';
export { parseTableName, splitQualifiedName, formatTableName } from './table-name.js';
export type { VerifyConfig } from './config-verify.js';
export { verifySchema, verifyChangedSchema, verifySweepSchema, quietHoursSchema } from './config-verify.js';
