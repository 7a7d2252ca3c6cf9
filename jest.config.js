/** Jest runs the TypeScript sources as native ESM through ts-jest. */
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testEnvironment: 'node',
};
export default {
  // E2E tests start real server processes: seconds are normal on a loaded machine, minutes are a hang.
  // (Jest reads testTimeout only at the top level, not per project.)
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
    },
    // Several server processes on one PostgreSQL database (issue 18): `npm run test:multi`.
    {
      ...common,
      displayName: 'multi',
      testMatch: ['<rootDir>/test/multi-instance/**/*.multi-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/e2e-setup.ts'],
    },
  ],
};
