// Lint rules: typescript-eslint's recommended set (no type information, so it stays fast),
// plus the house rules: no console outside the CLI, the daemon entry and scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-check/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'eqeqeq': ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // The dashboard: plain ES modules for the browser (no bundler, no Node).
    files: ['src/dashboard/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'module' },
  },
  {
    files: ['src/cli/**', 'scripts/**', 'bench/**', 'test/**', 'src/**/*.test.ts', 'eslint.config.js'],
    rules: { 'no-console': 'off' },
  },
);
