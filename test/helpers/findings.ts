/** Message factories for tests: the same ones the local demo uses (see `src/local/findings.ts`). */
export * from '../../src/local/findings.ts';
