/**
 * Reliability suite (crash, disk full, fuzz, load): real server processes, minutes not seconds.
 *   node --experimental-vm-modules node_modules/jest/bin/jest.js -c test/reliability/jest.config.js --runInBand
 * Needs `npm run build` first (the tests start dist/cli/main.js).
 */
export default {
  rootDir: '../..',
  displayName: 'reliability',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/reliability/**/*.reliability-spec.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
  testTimeout: 240_000,
};
