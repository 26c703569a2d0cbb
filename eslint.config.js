// Lint: typescript-eslint's recommended rules, plus a guard that keeps functions/core pure.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/', 'node_modules/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // A function longer than this says why, in the disable comment above it.
    files: ['functions/**/*.ts'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  // Imports point down: handlers/cli → runtime → adapters → platform. core (pure decisions) and
  // config (parsing) sit beside platform: core imports only core and platform types.
  {
    files: ['functions/platform/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '!../platform'], message: 'platform is the leaf: it imports nothing of ours' }] }] },
  },
  {
    files: ['functions/adapters/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../runtime/*', '../handlers/*', '../cli/*'], message: 'adapters sit below runtime, handlers and cli' }] }] },
  },
  {
    files: ['functions/runtime/**/*.ts', 'functions/config.ts', 'functions/config_values.ts', 'functions/cluster_name.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../handlers/*', '../cli/*', './handlers/*', './cli/*', './runtime/*', './adapters/*'], message: 'runtime and config sit below handlers and cli' }] }] },
  },
  {
    files: ['functions/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../adapters/*', '../runtime/*', '../handlers/*', '../cli/*', '../config.ts', 'node:fs*', 'node:http*', 'node:net', 'node:child_process', 'node:process'], message: 'core is pure: no I/O imports' },
            { group: ['../platform/*'], allowTypeImports: true, message: 'core takes only types from platform' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'fetch', 'setTimeout', 'console'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core has no clock: use snapshot.now' },
        { object: 'Math', property: 'random', message: 'core is deterministic' },
      ],
    },
  },
);
