/**
 * Person notifications end to end against the local cloud, with the production runtime (real SDK clients,
 * the SES v2 adapter): one containment notice per containment, one reminder, the escalation notice and the
 * thank-you on release, each once across re-deliveries; SES refusing the message never fails the record;
 * a tag that tries to smuggle in a second recipient is refused; no message carries a seed or a code.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyConfig } from '../../src/config.ts';
import { guardPolicyArn, type Outcome, TAGS, type WorkItem } from '../../src/core/model.ts';
import type { MetricsPort } from '../../src/core/ports.ts';
import { consecutiveCodes } from '../../src/core/totp.ts';
import { runWorkItem } from '../../src/core/workflow.ts';
import { type LocalCloud, startLocalCloud } from '../../src/local/cloud/server.ts';
import { CLOUD_ACCOUNT, createCloudDeps } from '../helpers/cloud-enrolment.ts';
import { expectNoSecrets } from '../helpers/custodial.ts';

const FROM = 'security@example.com';
const NOTIFY: NotifyConfig = {
  from: FROM,
  emailTag: 'email',
  reminderHours: 24,
  contact: 'mfa-help@example.com',
  templateDir: undefined,
  timeZone: 'UTC',
};
const HOUR = 3_600_000;

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
});
afterAll(async () => {
  await cloud?.close();
});
afterEach(() => cloud.reset());

const mfaMissing = (userName: string): WorkItem => ({
  type: 'mfa-missing',
  accountId: CLOUD_ACCOUNT,
  userName,
  trigger: { source: 'sweep', sweepId: 'sweep-1' },
});

function notifyAction(outcome: Outcome | undefined) {
  return outcome?.actions.find((action) => action.action === 'notify-user');
}

function setUp(
  users: { userName: string; tags: Record<string, string> }[],
  config: Parameters<typeof createCloudDeps>[1] = {},
) {
  cloud.seed({
    accountId: CLOUD_ACCOUNT,
    users: users.map((u) => ({
      userName: u.userName,
      consolePassword: true,
      mfa: false,
      accessKeys: 1,
      tags: u.tags,
    })),
  });
  const observed: { name: string; value: number }[] = [];
  const metrics: MetricsPort = {
    count: () => {},
    seconds: (name, value) => observed.push({ name, value }),
  };
  const c = createCloudDeps(cloud, { notify: NOTIFY, ...config });
  const run = async (work: WorkItem) => {
    const [outcome] = await runWorkItem(
      work,
      { ...c.deps, metrics },
      { attempts: 1, messageId: 'm', log: c.deps.log },
    );
    return outcome;
  };
  return { c, run, observed };
}

describe('person notifications through SES v2', () => {
  it('tells a contained person once, reminds once, announces escalation once, and thanks them on release', async () => {
    // Prepare
    cloud.sesv2.verifyIdentity(CLOUD_ACCOUNT, 'us-east-1', 'example.com');
    const { c, run, observed } = setUp([{ userName: 'bob', tags: { email: 'bob@example.org' } }], {
      escalation: 'disable-console',
    });
    const start = c.clock.now.getTime();
    const mail = () => cloud.sesv2.messages();

    // Act / Assess: containment, then a re-delivery an hour later.
    const contained = await run(mfaMissing('bob'));
    expect(contained?.outcome).toBe('enrollment-required');
    expect(notifyAction(contained)).toEqual({
      action: 'notify-user',
      result: 'applied',
      reason: 'contained',
    });
    expect(mail()).toHaveLength(1);
    const [first] = mail();
    expect(first).toMatchObject({ from: FROM, to: ['bob@example.org'], replyTo: ['mfa-help@example.com'] });
    expect(first?.subject).toMatch(
      /^Action needed: enable MFA for AWS user bob by \w+day \d+ \w+ \d{4}, \d\d:\d\d UTC$/,
    );
    expect(first?.text).toContain(`mfa-remediation enroll --user-name bob --account ${CLOUD_ACCOUNT}`);
    expect(first?.text).toContain(`https://${CLOUD_ACCOUNT}.signin.aws.amazon.com/console`);
    expect(first?.text).toContain('After the deadline, your console password will be removed.');
    expect(first?.html).toContain('<strong>bob</strong>');
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'bob')?.tags[TAGS.notified]).toBe(new Date(start).toISOString());

    c.clock.now = new Date(start + HOUR);
    expect(notifyAction(await run(mfaMissing('bob')))?.result).toBe('already-applied');
    expect(mail()).toHaveLength(1);

    // The daily sweep's task inside the reminder window: one reminder, however often it comes.
    c.clock.now = new Date(start + 50 * HOUR);
    expect(notifyAction(await run(mfaMissing('bob')))).toMatchObject({
      result: 'applied',
      reason: 'reminder',
    });
    c.clock.now = new Date(start + 60 * HOUR);
    expect(notifyAction(await run(mfaMissing('bob')))?.result).toBe('already-applied');
    expect(mail().map((m) => m.subject.split(':')[0])).toEqual(['Action needed', 'Reminder']);
    expect(mail()[1]?.text).toContain('(22 hours from now)');

    // Past the deadline: escalated, announced once.
    c.clock.now = new Date(start + 73 * HOUR);
    const escalated = await run(mfaMissing('bob'));
    expect(escalated?.outcome).toBe('escalated');
    expect(notifyAction(escalated)).toMatchObject({ result: 'applied', reason: 'escalated' });
    expect((await run(mfaMissing('bob')))?.outcome).toBe('escalated');
    expect(mail()).toHaveLength(3);
    expect(mail()[2]?.subject).toBe(
      'AWS user bob missed the MFA deadline: your console password was removed',
    );

    // Bob enrols with the codes of his new device: released, thanked, MTTR measured.
    const { iam } = await c.deps.accounts.forAccount(CLOUD_ACCOUNT);
    // Named after him, as the worker requires of a device a message asks it to enable.
    const device = await iam.createVirtualMfaDevice('bob', '/');
    const codes = consecutiveCodes(device.seedBase32, Date.now());
    c.clock.now = new Date(start + 80 * HOUR);
    const released = await run({
      type: 'enrollment-codes',
      accountId: CLOUD_ACCOUNT,
      userName: 'bob',
      serialNumber: device.serialNumber,
      code1: codes[0],
      code2: codes[1],
      trigger: { source: 'enrollment', requestId: 'r' },
    });
    expect(released?.outcome).toBe('remediated');
    expect(notifyAction(released)).toMatchObject({ result: 'applied', reason: 'released' });
    expect(mail()).toHaveLength(4);
    expect(mail()[3]?.subject).toBe('Thank you: MFA is on for AWS user bob, access is back');
    expect(cloud.iam.getUser(CLOUD_ACCOUNT, 'bob')?.tags).toEqual({ email: 'bob@example.org' });
    expect(observed).toEqual([{ name: 'TimeToRemediate', value: 80 * 3600 }]);
    // A re-delivery of the release finds nothing to release and sends nothing.
    expect((await run(mfaMissing('bob')))?.outcome).toBe('already-compliant');
    expect(mail()).toHaveLength(4);
    expectNoSecrets(
      mail().flatMap((m) => [m.subject, m.text, m.html]),
      [device.seedBase32, ...codes],
    );
  });

  it('never fails the record when SES refuses: contained all the same, notify-user failed, retried next time', async () => {
    // Prepare: NOTIFY_FROM has no verified identity in SES.
    const { run } = setUp([{ userName: 'carol', tags: { email: 'carol@example.org' } }]);
    // Act
    const outcome = await run(mfaMissing('carol'));
    // Assess
    expect(outcome?.outcome).toBe('enrollment-required');
    expect(notifyAction(outcome)).toMatchObject({
      result: 'failed',
      reason: expect.stringContaining('MessageRejected'),
    });
    const carol = cloud.iam.getUser(CLOUD_ACCOUNT, 'carol');
    expect(carol?.attachedPolicyArns).toEqual([guardPolicyArn(CLOUD_ACCOUNT)]);
    expect(carol?.tags[TAGS.notified]).toBeUndefined();
    // Once the identity is verified, the next delivery sends the containment notice.
    cloud.sesv2.verifyIdentity(CLOUD_ACCOUNT, 'us-east-1', FROM);
    expect(notifyAction(await run(mfaMissing('carol')))).toMatchObject({
      result: 'applied',
      reason: 'contained',
    });
    expect(cloud.sesv2.messages()).toHaveLength(1);
  });

  it('refuses an e-mail tag that carries a second recipient, and skips users without the tag', async () => {
    // Prepare: whoever can tag users tries to have the notice also go to their own address.
    cloud.sesv2.verifyIdentity(CLOUD_ACCOUNT, 'us-east-1', FROM);
    const { run } = setUp([
      { userName: 'dave', tags: { email: 'dave@example.org eve@evil.test' } },
      { userName: 'erin', tags: {} },
    ]);
    // Act
    const dave = await run(mfaMissing('dave'));
    const erin = await run(mfaMissing('erin'));
    // Assess
    expect(notifyAction(dave)).toMatchObject({
      result: 'skipped',
      reason: expect.stringContaining('the email tag is not an e-mail address'),
    });
    expect(notifyAction(erin)).toEqual({
      action: 'notify-user',
      result: 'skipped',
      reason: 'the user has no email tag',
    });
    expect(dave?.outcome).toBe('enrollment-required');
    expect(cloud.sesv2.messages()).toEqual([]);
  });

  it('sends nothing in notify mode (nobody is contained) or in a dry run', async () => {
    // Prepare
    cloud.sesv2.verifyIdentity(CLOUD_ACCOUNT, 'us-east-1', FROM);
    const notifyMode = setUp([{ userName: 'frank', tags: { email: 'frank@example.org' } }], {
      mode: 'notify',
    });
    const dryRun = createCloudDeps(cloud, { notify: NOTIFY, dryRun: true });
    // Act
    const reported = await notifyMode.run(mfaMissing('frank'));
    const [dry] = await runWorkItem(mfaMissing('frank'), dryRun.deps, { attempts: 1, log: dryRun.deps.log });
    // Assess
    expect(notifyAction(reported)).toMatchObject({
      result: 'skipped',
      reason: expect.stringContaining('notify mode'),
    });
    expect(notifyAction(dry)).toMatchObject({ result: 'skipped', reason: 'dry run' });
    expect(cloud.sesv2.messages()).toEqual([]);
    expect(cloud.stats().requests['ses:SendEmail']).toBeUndefined();
  });
});
