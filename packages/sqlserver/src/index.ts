/** @cdc/sqlserver (in progress). @packageDocumentation */
export const PACKAGE_NAME = '@cdc/sqlserver';
