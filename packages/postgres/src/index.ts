/** @cdc/postgres (in progress). @packageDocumentation */
export const PACKAGE_NAME = '@cdc/postgres';
