/** @cdc/kafka-connect (in progress). @packageDocumentation */
export const PACKAGE_NAME = '@cdc/kafka-connect';
