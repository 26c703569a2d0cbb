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
    files: ['functions/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../adapters/*', '../runtime/*', '../handlers/*', '../cli/*', 'node:fs*', 'node:http*', 'node:net', 'node:child_process', 'node:process'], message: 'core is pure: no I/O imports' },
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
