// One flat config for the whole repository: TypeScript for the bridge, emulators, tests and scripts,
// Salesforce's LWC rules for the Lightning Web Components in force-app.
import eslintJs from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import lwcConfig from '@salesforce/eslint-config-lwc';

const lwcFiles = ['force-app/**/lwc/**/*.js'];

export default [
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      'data/**',
      'scripts/preview/dist/**',
      '.sfdx/**',
      '.sf/**',
    ],
  },
  ...tseslint.config({
    files: ['**/*.ts'],
    extends: [eslintJs.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off',
    },
  }),
  {
    files: ['**/*.{js,mjs,cjs}'],
    ignores: lwcFiles,
    ...eslintJs.configs.recommended,
    languageOptions: { globals: { ...globals.node } },
  },
  ...lwcConfig.configs.recommended.map((config) => ({ ...config, files: lwcFiles })),
  {
    files: ['force-app/**/lwc/**/__tests__/**/*.js', 'force-app/**/lwc/**/*.test.js'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
  },
];
