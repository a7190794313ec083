/** @cdc/metrics (in progress). @packageDocumentation */
export const PACKAGE_NAME = '@cdc/metrics';
