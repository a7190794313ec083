/**
 * The web console's HTTP routes, for the worker's metrics server: the page at `/`, its script and
 * stylesheet, and `GET /api/v1/differences`. Everything is served from this package; the page makes no
 * request elsewhere (its Content-Security-Policy says so to the browser too).
 */
import { isCdcError } from '@cdc/core';
import { consoleApp } from './console-app.js';
import { CONSOLE_CSS } from './console-style.js';
import type { DifferencePage } from './table-differences.js';

/** A GET request the console may answer (the shape of @cdc/metrics' `HttpRouteRequest`). */
export interface ConsoleRequest {
  path: string;
  query: URLSearchParams;
}

/** The console's answer (the shape of @cdc/metrics' `HttpRouteAnswer`). */
export interface ConsoleAnswer {
  status?: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

/** Options of {@link consoleRoutes}. */
export interface ConsoleRoutesOptions {
  /** A page of a table's stored differences (masked columns masked), e.g. `listDifferences`. */
  differences(request: {
    pipeline: string;
    table: string;
    offset: number;
    limit: number;
  }): Promise<DifferencePage>;
  /** Shown in the page title and header, e.g. the host name. */
  title?: string;
}

/** Path of the paged differences of a table. */
export const DIFFERENCES_PATH = '/api/v1/differences';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The page shell: the script fills it from `/api/v1/status`. */
export function consolePage(title = 'cdc'): string {
  const t = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t} — cdc console</title>
<link rel="stylesheet" href="console.css">
<script src="console.js" defer></script>
</head>
<body>
<header class="top"><h1>cdc console <span class="muted">${t}</span></h1><span id="updated" class="muted" role="status">loading…</span>
<nav aria-label="endpoints"><a href="metrics">/metrics</a><a href="readyz">/readyz</a><a href="api/v1/status">/api/v1/status</a></nav></header>
<main>
<h2 id="h-pipelines">Pipelines</h2>
<div id="pipelines" aria-labelledby="h-pipelines"></div>
<h2 id="h-tables">Tables</h2>
<div id="tables" class="cards" aria-labelledby="h-tables"></div>
<h2 id="h-repairs">Repairs</h2>
<div id="repairs" aria-labelledby="h-repairs"></div>
<h2 id="h-dead-letters">Dead letters</h2>
<div id="dead-letters" aria-labelledby="h-dead-letters"></div>
</main>
</body>
</html>
`;
}

/** The browser script: {@link consoleApp}'s source, run once. */
export function consoleScript(): string {
  return `(${consoleApp.toString()})();\n`;
}

/** The console's routes: answers `/`, `/console.js`, `/console.css` and {@link DIFFERENCES_PATH}. */
export function consoleRoutes(
  options: ConsoleRoutesOptions,
): (request: ConsoleRequest) => Promise<ConsoleAnswer | undefined> {
  const page = consolePage(options.title);
  const script = consoleScript();
  const security = { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' };
  return async ({ path, query }) => {
    if (path === '/' || path === '/index.html') {
      return { contentType: 'text/html; charset=utf-8', body: page, headers: security };
    }
    if (path === '/console.js') return { contentType: 'text/javascript; charset=utf-8', body: script };
    if (path === '/console.css') return { contentType: 'text/css; charset=utf-8', body: CONSOLE_CSS };
    if (path !== DIFFERENCES_PATH) return undefined;
    const pipeline = query.get('pipeline');
    const table = query.get('table');
    if (!pipeline || !table) {
      return jsonAnswer(400, {
        error: 'pipeline and table are required',
        hint: `${DIFFERENCES_PATH}?pipeline=<name>&table=<schema.table>&offset=0&limit=50`,
      });
    }
    const offset = Number(query.get('offset') ?? 0);
    const limit = Number(query.get('limit') ?? 50);
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1 || limit > 500) {
      return jsonAnswer(400, { error: 'offset must be an integer ≥ 0 and limit an integer from 1 to 500' });
    }
    try {
      return jsonAnswer(200, await options.differences({ pipeline, table, offset, limit }));
    } catch (error) {
      if (isCdcError(error) && (error.code === 'TABLE_NOT_FOUND' || error.code === 'INVALID_ARGUMENT')) {
        return jsonAnswer(404, { error: error.message, ...(error.hint ? { hint: error.hint } : {}) });
      }
      throw error;
    }
  };
}

function jsonAnswer(status: number, body: unknown): ConsoleAnswer {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(body)}\n` };
}
