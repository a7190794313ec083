/** @cdc/vault (in progress). @packageDocumentation */
export const PACKAGE_NAME = '@cdc/vault';
