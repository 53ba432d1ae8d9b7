import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests spawn the compiled binary: rebuild dist/ when the sources are newer.
    globalSetup: ['test/global-setup.ts'],
    environment: 'node',
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most test files wait on child processes and the local cloud rather than compute: three forks on two
    // cores finish the suite in about 60 % of the time of vitest's default (cores - 1 = one fork), all green.
    maxWorkers: 3,
  },
});
