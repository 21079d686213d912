// Shared jest settings. Workspace packages are mapped to their TypeScript sources so tests run
// without a build and a failing line points at the source, not at dist/.
const path = require('node:path');

/** @param {string} packageDir */
module.exports = function jestConfig(packageDir, overrides = {}) {
  return {
    rootDir: packageDir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(packageDir, 'tsconfig.json') }],
    },
    moduleNameMapper: {
      '^@tchannel/(core|raw|json|thrift|hyperbahn|vcr)$': path.join(__dirname, 'packages/$1/src/index.ts'),
    },
    testTimeout: 20000,
    ...overrides,
  };
};
