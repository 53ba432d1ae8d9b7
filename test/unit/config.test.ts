import { describe, expect, it } from 'vitest';
import { loadConfig, matchesUserPattern } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

const TOPIC = 'arn:aws:sns:us-east-1:111111111111:mfa-remediation-outcomes';

describe('loadConfig', () => {
  it('applies the reference defaults', () => {
    const config = loadConfig({ OUTCOME_TOPIC_ARN: TOPIC });
    expect(config).toMatchObject({
      outcomeTopicArn: TOPIC,
      mode: 'enforce',
      scope: 'console-users',
      containProgrammaticUsers: false,
      gracePeriodHours: 72,
      escalation: 'none',
      exemptUsers: [],
      allowedAccounts: 'self',
      memberRoleName: 'MfaRemediationMemberRole',
      securityHubUpdates: true,
      maxReceiveCount: 8,
      dryRun: false,
      logLevel: 'info',
    });
  });

  it('trims and parses every variable', () => {
    const config = loadConfig({
      OUTCOME_TOPIC_ARN: ` ${TOPIC} `,
      REMEDIATION_MODE: 'notify',
      MFA_SCOPE: 'all-users',
      CONTAIN_PROGRAMMATIC_USERS: 'TRUE',
      GRACE_PERIOD_HOURS: '24',
      ESCALATION: 'disable-console-and-keys',
      EXEMPT_USERS: 'break-glass, svc-*',
      ALLOWED_ACCOUNTS: '111111111111,222222222222',
      SECURITY_HUB_UPDATES: 'false',
      MAX_RECEIVE_COUNT: '5',
      DRY_RUN: '1',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111111111111/dlq',
    });
    expect(config).toMatchObject({
      mode: 'notify',
      scope: 'all-users',
      containProgrammaticUsers: true,
      gracePeriodHours: 24,
      escalation: 'disable-console-and-keys',
      exemptUsers: ['break-glass', 'svc-*'],
      allowedAccounts: ['111111111111', '222222222222'],
      securityHubUpdates: false,
      maxReceiveCount: 5,
      dryRun: true,
    });
  });

  it.each([
    [{}, 'OUTCOME_TOPIC_ARN: is required'],
    [{ OUTCOME_TOPIC_ARN: 'topic' }, 'OUTCOME_TOPIC_ARN'],
    [
      { OUTCOME_TOPIC_ARN: TOPIC, REMEDIATION_MODE: 'fix' },
      'REMEDIATION_MODE: must be one of enforce, notify',
    ],
    [{ OUTCOME_TOPIC_ARN: TOPIC, MFA_SCOPE: 'everyone' }, 'MFA_SCOPE'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, GRACE_PERIOD_HOURS: 'soon' }, 'GRACE_PERIOD_HOURS: must be a number'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, GRACE_PERIOD_HOURS: '-1' }, 'GRACE_PERIOD_HOURS: must be between'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, MAX_RECEIVE_COUNT: '2.5' }, 'MAX_RECEIVE_COUNT: must be an integer'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, DRY_RUN: 'maybe' }, 'DRY_RUN: must be true or false'],
    [
      { OUTCOME_TOPIC_ARN: TOPIC, ALLOWED_ACCOUNTS: '1234' },
      'ALLOWED_ACCOUNTS: "1234" is not a 12-digit account id',
    ],
    [{ OUTCOME_TOPIC_ARN: TOPIC, ALLOWED_ACCOUNTS: '*,111111111111' }, 'ALLOWED_ACCOUNTS'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, ESCALATION: 'delete-user' }, 'ESCALATION'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, EXEMPT_USERS: 'a b' }, 'EXEMPT_USERS'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, DEAD_LETTER_QUEUE_URL: 'not a url' }, 'DEAD_LETTER_QUEUE_URL'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, MEMBER_ROLE_EXTERNAL_ID: 'x' }, 'MEMBER_ROLE_EXTERNAL_ID: must be 2-1224'],
    [{ OUTCOME_TOPIC_ARN: TOPIC, MEMBER_ROLE_EXTERNAL_ID: 'has space' }, 'MEMBER_ROLE_EXTERNAL_ID'],
    [
      { OUTCOME_TOPIC_ARN: TOPIC, ESCROW_KMS_KEY_ID: 'my key' },
      'ESCROW_KMS_KEY_ID: "my key" is not a KMS key',
    ],
    [{ OUTCOME_TOPIC_ARN: TOPIC, ESCROW_KMS_KEY_ID: 'arn:aws:s3:::bucket' }, 'ESCROW_KMS_KEY_ID'],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'mrk-1234abcd12ab34cd56ef1234567890ab',
    'alias/mfa-remediation/escrow',
    'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws-us-gov:kms:us-gov-west-1:111111111111:alias/escrow',
  ])('accepts the KMS key %s for escrow, as Secrets Manager does', (key) => {
    expect(loadConfig({ OUTCOME_TOPIC_ARN: TOPIC, ESCROW_KMS_KEY_ID: key }).escrowKmsKeyId).toBe(key);
  });

  it('accepts an STS external id', () => {
    const id = 'org-1234:mfa_remediation/prod=A+B,c.d@e-f';
    expect(loadConfig({ OUTCOME_TOPIC_ARN: TOPIC, MEMBER_ROLE_EXTERNAL_ID: id }).memberRoleExternalId).toBe(
      id,
    );
  });

  it('accepts * for any account', () => {
    expect(loadConfig({ OUTCOME_TOPIC_ARN: TOPIC, ALLOWED_ACCOUNTS: '*' }).allowedAccounts).toBe('*');
  });
});

describe('matchesUserPattern', () => {
  it.each([
    ['break-glass', ['break-glass'], true],
    ['svc-deploy', ['svc-*'], true],
    ['svc.deploy', ['svc-*'], false],
    ['alice', ['al?ce'], true],
    ['alice@example.com', ['*@example.com'], true],
    ['bob', [], false],
  ])('%s against %o → %s', (user, patterns, expected) => {
    expect(matchesUserPattern(user, patterns)).toBe(expected);
  });
});
