export const APP_NAME = '@cdc/worker';
