/** @cdc/scylla (in progress). @packageDocumentation */
export const PACKAGE_NAME = '@cdc/scylla';
