// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/generated/**', 'coverage/**', '.whereabouts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
    },
  },
  {
    files: ['test/**/*.ts'],
    // Tests read JSON responses loosely; the assertions are the types.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/http/dashboard/public/**/*.js'],
    // The dashboard's page script: a classic browser script (no modules, no build step).
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    files: ['src/http/workbench/client/**/*.{js,jsx}'],
    // The workbench's browser modules, bundled by esbuild (src/http/workbench/build.ts).
    languageOptions: {
      sourceType: 'module',
      globals: { ...globals.browser },
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
  },
  {
    files: ['src/graphql/**/*.ts'],
    // type-graphql needs runtime imports of classes used only in decorator metadata.
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
);
