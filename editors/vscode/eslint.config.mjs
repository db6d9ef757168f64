import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: 'error',
    },
  },
  // The end-to-end scripts run in Node; the webview scripts in a browser.
  { files: ['test/e2e/**', 'esbuild.mjs'], languageOptions: { globals: globals.node } },
  { files: ['src/webview/**'], languageOptions: { globals: globals.browser } },
);
