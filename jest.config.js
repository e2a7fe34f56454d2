/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/build/', '<rootDir>/.stryker-tmp/'],
  setupFiles: ['<rootDir>/test/reset-http.ts', '<rootDir>/test/setup-env.ts'],
  collectCoverageFrom: [
    'index.ts',
    'src/**/*.ts',
    'triggers/**/*.ts',
    'creates/**/*.ts',
    'searches/**/*.ts',
  ],
  coverageThreshold: { global: { branches: 95, lines: 95, functions: 95, statements: 95 } },
  testTimeout: 20000,
};
