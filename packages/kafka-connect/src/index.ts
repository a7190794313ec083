/**
 * @cdc/kafka-connect — scale-out mode: typed generators from `mode: kafka-connect` pipelines to
 * Debezium SQL Server, ScyllaDB CDC and Debezium JDBC sink connector configs, and a Kafka Connect
 * REST client that deploys and operates them.
 * @packageDocumentation
 */
export {
  configProviderRefSchema,
  secretValueSchema,
  converterSchema,
  kafkaSettingsSchema,
  sqlServerSourceSchema,
  scyllaSourceSchema,
  postgresTargetSchema,
  jdbcSinkOptionsSchema,
  kafkaConnectPipelineSchema,
  kafkaConnectConfigSchema,
  parseKafkaConnectConfig,
  parseKafkaConnectPipeline,
  parseKafkaSettings,
} from './kafka-connect-config.js';
export type {
  ConfigProviderRef,
  SecretValue,
  ConverterConfig,
  KafkaSettings,
  TableRef,
  SqlServerSource,
  ScyllaSource,
  PostgresTarget,
  JdbcSinkOptions,
  KafkaConnectPipeline,
  KafkaConnectPipelineInput,
  KafkaConnectConfig,
} from './kafka-connect-config.js';
export { renderSecret, containsConfigProviderReference } from './connector-secrets.js';
export type { ConnectionEntry } from './connection-endpoints.js';
export { connectionSecret, expandConnectionReferences } from './connection-endpoints.js';
export type { ConnectorDefinition, TableMapping } from './connector-definition.js';
export { CONNECTOR_CLASSES, MASK, converterProperties, topicPrefixOf } from './connector-definition.js';
export {
  debeziumSqlServerSource,
  sqlServerTopic,
  exactlyOnceProperties,
} from './debezium-sqlserver-source.js';
export { scyllaCdcSource, scyllaTopic } from './scylla-cdc-source.js';
export { debeziumJdbcSink, postgresJdbcUrl } from './debezium-jdbc-sink.js';
export { pipelineConnectors, renderConnectors, maskSecrets } from './connector-plan.js';
export {
  KafkaConnectClient,
  connectorOffsetsSchema,
  connectorStatusSchema,
  connectorPluginSchema,
  configValidationSchema,
} from './kafka-connect-client.js';
export type {
  KafkaConnectClientOptions,
  ConnectorState,
  ConnectorStatus,
  ConnectorPlugin,
  ConfigValidation,
  ConnectorInfo,
  ConnectorOffsets,
  ConnectServerInfo,
  FieldError,
  DeployResult,
  DeployPlan,
  ConfigChange,
} from './kafka-connect-client.js';
