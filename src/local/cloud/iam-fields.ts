/** The IAM model's constraints for the request parameters the local cloud reads. */
import { type FieldRule, TAG_FIELDS } from './query-input.ts';

export const IAM_FIELDS = {
  userName: { pattern: '[\\w+=,.@-]+', min: 1, max: 64 },
  roleName: { pattern: '[\\w+=,.@-]+', min: 1, max: 64 },
  path: { pattern: '(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)', min: 1, max: 512 },
  pathPrefix: { pattern: '\\u002F[\\u0021-\\u007F]*', min: 1, max: 512 },
  serialNumber: { pattern: '[\\w+=/:,.@-]+', min: 9, max: 256 },
  authenticationCode: { pattern: '[\\d]+', min: 6, max: 6 },
  virtualMFADeviceName: { pattern: '[\\w+=,.@-]+', min: 1, max: 226 },
  policyName: { pattern: '[\\w+=,.@-]+', min: 1, max: 128 },
  arn: { min: 20, max: 2048 },
  accessKeyId: { pattern: '[\\w]+', min: 16, max: 128 },
  password: { pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+', min: 1, max: 128 },
  policyDocument: { pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+', min: 1, max: 131072 },
  description: { max: 1000 },
  tagKey: TAG_FIELDS.key,
} as const satisfies Record<string, FieldRule>;
