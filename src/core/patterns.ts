/**
 * IAM's own validation patterns (docs/reference.md: Validation), in a module of their own so that the command
 * line can check flags without loading the zod schemas of `model.ts`.
 */
export const PATTERNS = {
  userName: /^[\w+=,.@-]{1,64}$/,
  serialNumber: /^[\w+=/:,.@-]{9,256}$/,
  authenticationCode: /^[0-9]{6}$/,
  accountId: /^[0-9]{12}$/,
} as const;
