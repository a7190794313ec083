import { APP_NAME } from './index.js';
console.log(APP_NAME);
