/** The adapter contract suite (see `describeScanSourceContract`). */
export type {
  ContractOmission,
  ContractTable,
  ContractTypeSupport,
  ContractValueCase,
} from './contract-tables.js';
export {
  adaptContractTable,
  compositeKeyTable,
  contractValueCases,
  CONTRACT_VALUE_CASES,
  typeParityTable,
} from './contract-tables.js';
export type {
  ScanSourceContractCase,
  ScanSourceContractFixture,
  SinkContractFixture,
} from './scan-source-contract.js';
export { describeScanSourceContract } from './scan-source-contract.js';
