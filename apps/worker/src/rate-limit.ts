/** The rows/s budget of reconciliation and verification lives in @cdc/core (shared with the verifier). */
export { RowRateLimiter, throttleSource, type Clock } from '@cdc/core';
