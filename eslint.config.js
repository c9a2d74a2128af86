import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'runs/**',
      'test-output/**',
      'src/dashboard/static/vendor/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
    },
  },
  {
    // The CLI entry, benches, examples and browser page may print; library code may not.
    files: ['src/cli/**', 'bench/**', 'examples/**', 'src/dashboard/static/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
);
