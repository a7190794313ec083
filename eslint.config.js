// ESLint flat config for the whole workspace: typescript-eslint's recommended rules plus the few
// conventions of STYLE.md that a linter can hold (no default exports in libraries, no `any` leaks).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '.nx/**', 'tools/bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Libraries use named exports only (STYLE.md).' },
      ],
    },
  },
  {
    files: [
      '**/*.config.ts',
      '**/*.config.js',
      'eslint.config.js',
      '**/tsup.config.ts',
      '**/vitest.config.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  // The apps find adapters through @cdc/connectors and never import each other (ARCHITECTURE §12).
  {
    files: ['apps/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['@cdc/worker', '@cdc/worker/*'], message: 'apps never depend on each other' }],
        },
      ],
    },
  },
  {
    files: ['apps/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@cdc/cli', '@cdc/cli/*'], message: 'apps never depend on each other' }] },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'tools/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
