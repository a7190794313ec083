/** `cdc-worker --config cdc.yaml`: runs the worker until SIGTERM/SIGINT, then drains and exits 0. */
import { runWorkerCli } from './worker-cli.js';

process.exitCode = await runWorkerCli(process.argv.slice(2));
