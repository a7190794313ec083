/** The adapter contract suite (see `describeScanSourceContract`). */
export type { ContractTable } from './contract-tables.js';
export { compositeKeyTable, typeParityTable } from './contract-tables.js';
export type { ScanSourceContractFixture, SinkContractFixture } from './scan-source-contract.js';
export { describeScanSourceContract } from './scan-source-contract.js';
