// ESLint for the page's own scripts in app/static/js/: classic scripts (no modules), each
// wrapped in a function that hands what other scripts use to one object on window. The
// vendored libraries under app/static/vendor/ are committed as published and never linted.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    // Everything outside app/static/js/, whatever paths the command line names.
    ignores: ['*', '!app/', 'app/*', '!app/static/', 'app/static/*', '!app/static/js/']
  },
  js.configs.recommended,
  {
    files: ['app/static/js/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        ...globals.browser,
        // The vendored libraries' globals, loaded before our scripts.
        jQuery: 'readonly',
        $: 'readonly',
        bootstrap: 'readonly',
        SimpleWebAuthnBrowser: 'readonly'
      }
    },
    rules: {
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: 'error',
      'no-implicit-globals': 'error'
    }
  }
];
