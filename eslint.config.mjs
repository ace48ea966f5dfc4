// Type-aware lint: floating promises and deep imports across components are errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Port fixtures stand for programs in other languages: plain JS, outside the TS project.
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.workmesh/**',
      'eslint.config.mjs',
      'test/fixtures/ports/*.mjs',
      // Run by Node, Deno and Bun as an application's plain JavaScript (client-runtimes test).
      'test/fixtures/runtimes/*.mjs',
      // Built by hand from page.ts (examples/browser/README.md).
      'examples/browser/page.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The console's browser scripts: plain JavaScript, no type information, browser globals.
    files: ['src/console/assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'script',
      parserOptions: { projectService: false },
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        URLSearchParams: 'readonly',
        confirm: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Components talk through their public entry (index.ts) only.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // The peers of the benchmark are dev dependencies, for bench/ only.
          paths: ['bullmq', 'bee-queue', 'autocannon'].map((name) => ({
            name,
            message: 'Benchmark-only dependency: use it under bench/ only.',
          })),
          patterns: [
            {
              regex: '^\\.\\./[a-z-]+/(?!index\\.js$).+',
              message: 'Import another component through its index.js only.',
            },
          ],
        },
      ],
    },
  },
);
