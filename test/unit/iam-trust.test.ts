/**
 * The local cloud's trust-policy evaluator (src/local/cloud/iam-trust.ts) against @cloud-copilot/iam-simulate,
 * a maintained IAM policy simulator (AGPL, so a test dependency only): same decision on every case.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import {
  assumeRoleContext,
  parseTrustPolicy,
  type TrustCaller,
  trustAllows,
} from '../../src/local/cloud/iam-trust.ts';

const CENTRAL = '111111111111';
const MEMBER = '222222222222';
const WORKER = `arn:aws:iam::${CENTRAL}:role/worker`;
const OTHER = `arn:aws:iam::${CENTRAL}:role/other`;
const IDS: Record<string, string> = { [WORKER]: 'AROAWORKER', [OTHER]: 'AROAOTHER' };

const policies: Record<string, unknown> = {
  'worker with external id': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: WORKER },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': 'org-id' } },
      },
    ],
  },
  'central account, session name like': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${CENTRAL}:root` },
        Action: 'sts:AssumeRole',
        Condition: { StringLike: { 'sts:RoleSessionName': 'mfa-*' } },
      },
    ],
  },
  'anyone but a denied principal': {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' },
      { Effect: 'Deny', Principal: { AWS: OTHER }, Action: 'sts:AssumeRole' },
    ],
  },
  'external id must not be a given value': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: CENTRAL },
        Action: 'sts:AssumeRole',
        Condition: { StringNotEquals: { 'sts:ExternalId': 'blocked' } },
      },
    ],
  },
};

const callers: Record<string, TrustCaller> = {
  worker: {
    accountId: CENTRAL,
    arn: `arn:aws:sts::${CENTRAL}:assumed-role/worker/mfa-remediation`,
    role: { arn: WORKER, roleId: 'AROAWORKER' },
    userId: 'AROAWORKER:mfa-remediation',
  },
  other: {
    accountId: CENTRAL,
    arn: `arn:aws:sts::${CENTRAL}:assumed-role/other/mfa-remediation`,
    role: { arn: OTHER, roleId: 'AROAOTHER' },
    userId: 'AROAOTHER:mfa-remediation',
  },
};

const requests = [
  { externalId: 'org-id', sessionName: 'mfa-remediation' },
  { externalId: undefined, sessionName: 'mfa-remediation' },
  { externalId: 'blocked', sessionName: 'other-session' },
];

async function simulated(policy: unknown, caller: TrustCaller, request: (typeof requests)[number]) {
  const response = await runSimulation(
    {
      request: {
        principal: caller.role?.arn ?? caller.arn,
        action: 'sts:AssumeRole',
        resource: { resource: `arn:aws:iam::${MEMBER}:role/target`, accountId: MEMBER },
        contextVariables: {
          'sts:RoleSessionName': request.sessionName,
          ...(request.externalId === undefined ? {} : { 'sts:ExternalId': request.externalId }),
        },
      },
      identityPolicies: [
        {
          name: 'all',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult === 'Allowed';
}

describe('trust policies: the local cloud decides as the IAM simulator does', () => {
  for (const [name, policy] of Object.entries(policies)) {
    it(name, async () => {
      const parsed = parseTrustPolicy(JSON.stringify(policy), (arn) => IDS[arn]);
      const decisions = new Set<boolean>();
      for (const [who, caller] of Object.entries(callers)) {
        for (const request of requests) {
          // Act
          const local = trustAllows(parsed, caller, 'sts:AssumeRole', assumeRoleContext(caller, request));
          const expected = await simulated(policy, caller, request);
          // Assess
          expect(local, `${who} ${JSON.stringify(request)}`).toBe(expected);
          decisions.add(local);
        }
      }
      // Each policy both allows and refuses some of the cases, so agreement is not vacuous.
      expect([...decisions].sort()).toEqual([false, true]);
    });
  }
});
