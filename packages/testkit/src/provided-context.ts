/** Values the global setup provides to test files (vitest `inject`). */
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's PostgreSQL server (may create databases). */
    cdcPgUrl: string;
    /** Whether the server was started by the harness (`embedded`) or given (`external`). */
    cdcPgKind: 'embedded' | 'external';
  }
}

export {};
