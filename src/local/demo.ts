/**
 * The demo organisation `mfa-remediation local` seeds into the local cloud: a management account and a member
 * account, with one user for each situation the product handles — compliant, lacking MFA, exempt,
 * programmatic-only, past its deadline, contained but since enrolled — plus generated users for scale.
 */
import { TAGS } from '../core/model.ts';

export const DEMO_ACCOUNT = '123456789012';
export const DEMO_MEMBER_ACCOUNT = '210987654321';

export interface DemoUser {
  readonly accountId: string;
  readonly userName: string;
  readonly consolePassword: boolean;
  readonly mfa: boolean;
  readonly accessKeys: number;
  readonly tags: Readonly<Record<string, string>>;
  /** Attach the guard policy before the run (a user contained earlier). */
  readonly contained?: boolean;
  /** Send a Security Hub finding for this user (FAILED IAM.5, or IAM.19 for programmatic users). */
  readonly finding: 'IAM.5' | 'IAM.19' | 'none';
  /** Which Security Hub reports it: CSPM (ASFF, the default) or Security Hub (OCSF, Findings Imported V2). */
  readonly securityHub?: 'cspm' | 'v2';
  /** What the demo shows with this user. */
  readonly story: string;
}

export interface DemoOptions {
  /** Generated users in addition to the named ones. Default 0. */
  readonly users?: number;
  /** How many of the generated users lack MFA. Default: half. */
  readonly withoutMfa?: number;
  /** The demo's clock, to place deadlines in the past. */
  readonly now: Date;
}

/** The demo's users, named ones first. */
export function demoUsers(options: DemoOptions): DemoUser[] {
  const hours = (h: number) => new Date(options.now.getTime() + h * 3_600_000).toISOString();
  const named: DemoUser[] = [
    {
      accountId: DEMO_ACCOUNT,
      userName: 'alice',
      consolePassword: true,
      mfa: true,
      accessKeys: 1,
      tags: {},
      finding: 'IAM.5',
      story: 'already has MFA (a stale finding)',
    },
    {
      accountId: DEMO_ACCOUNT,
      userName: 'bob',
      consolePassword: true,
      mfa: false,
      accessKeys: 1,
      tags: { email: 'bob@example.com' },
      finding: 'IAM.5',
      story: 'console user without MFA: contained, deadline set',
    },
    {
      accountId: DEMO_ACCOUNT,
      userName: 'break-glass',
      consolePassword: true,
      mfa: false,
      accessKeys: 0,
      tags: { [TAGS.exempt]: 'emergency access, reviewed quarterly' },
      finding: 'IAM.5',
      story: 'exempt by tag',
    },
    {
      accountId: DEMO_ACCOUNT,
      userName: 'svc-ci',
      consolePassword: false,
      mfa: false,
      accessKeys: 2,
      tags: {},
      finding: 'IAM.19',
      story: 'programmatic only: out of the console-users scope',
    },
    {
      accountId: DEMO_ACCOUNT,
      userName: 'dave',
      consolePassword: true,
      mfa: false,
      accessKeys: 1,
      tags: {
        [TAGS.state]: 'enrollment-required',
        [TAGS.since]: hours(-96),
        [TAGS.deadline]: hours(-24),
        email: 'dave@example.com',
      },
      contained: true,
      finding: 'IAM.5',
      story: 'missed the deadline: console access disabled',
    },
    {
      accountId: DEMO_ACCOUNT,
      userName: 'erin',
      consolePassword: true,
      mfa: true,
      accessKeys: 0,
      tags: {
        [TAGS.state]: 'enrollment-required',
        [TAGS.since]: hours(-30),
        [TAGS.deadline]: hours(42),
        email: 'erin@example.com',
      },
      contained: true,
      finding: 'IAM.5',
      story: 'enrolled since containment: guard released',
    },
    {
      accountId: DEMO_MEMBER_ACCOUNT,
      userName: 'frank',
      consolePassword: true,
      mfa: false,
      accessKeys: 0,
      tags: {},
      finding: 'IAM.5',
      story: 'member account, handled through the assumed role',
    },
    {
      accountId: DEMO_MEMBER_ACCOUNT,
      userName: 'hana',
      consolePassword: true,
      mfa: false,
      accessKeys: 0,
      tags: {},
      finding: 'IAM.5',
      securityHub: 'v2',
      story: 'reported by Security Hub (OCSF): contained, finding In Progress',
    },
  ];
  const extra = Math.max(0, options.users ?? 0);
  const without = Math.min(extra, options.withoutMfa ?? Math.ceil(extra / 2));
  const generated = Array.from(
    { length: extra },
    (_, i): DemoUser => ({
      accountId: i % 2 === 0 ? DEMO_ACCOUNT : DEMO_MEMBER_ACCOUNT,
      userName: `user-${String(i + 1).padStart(4, '0')}`,
      consolePassword: true,
      mfa: i >= without,
      accessKeys: 0,
      tags: {},
      finding: 'IAM.5',
      story: i < without ? 'generated, lacks MFA' : 'generated, has MFA',
    }),
  );
  return [...named, ...generated];
}
