export const APP_NAME = '@cdc/cli';
