/**
 * Person notifications at the points of a campaign (docs/reference.md: Person notifications): the workflow
 * calls {@link notifyContained} after containing a user (which also sends the one reminder when it is due),
 * {@link notifyEscalated} after escalating, {@link notifyReleased} after releasing a user who enrolled, and
 * {@link skipNotification} where nothing may be sent. Each records exactly one `notify-user` action.
 *
 * A notification never fails the record: containment matters more than the e-mail. SES errors become
 * `notify-user` `failed` (and a metric); nothing is thrown.
 *
 * Once per containment, without a database: `mfa-remediation:notified` holds the time of the last
 * notification, and one timestamp orders a campaign — since ≤ containment notice < deadline − REMINDER_HOURS
 * ≤ reminder < deadline ≤ escalation notice. The tag is written after SES accepted the message, so a worker
 * that dies in between sends again on the next delivery (at least once: a duplicate is better than a person
 * who never learns why everything says AccessDenied). Records about one user run in order within a batch;
 * two invocations handling the same user at the same moment can both send, because IAM has no conditional
 * write and SES v2 SendEmail no idempotency token. The release notice is sent after the tags are removed and
 * never recorded: a re-delivery finds an untracked, compliant user and sends nothing.
 */
import type { Escalation } from '../../config.ts';
import { describeError, errorCode } from '../../errors.ts';
import type { ActionLog, ItemContext, WorkflowDeps } from '../context.ts';
import { METRICS } from '../metrics/names.ts';
import { NAMES, TAGS } from '../model.ts';
import type { IamPort } from '../ports.ts';
import type { Subject } from '../steps.ts';
import { emailAddressProblem } from './address.ts';
import { DEFAULT_TEMPLATE_FILES } from './default-templates.ts';
import {
  type MessageTemplates,
  type NotificationKind,
  parseTemplates,
  renderMessage,
  type TemplateValues,
} from './templates.ts';

/** What the notifier needs to know about the user being notified. */
export interface NotifyContext {
  readonly subject: Subject;
  /** The user's tags as read at the start of the item (the e-mail tag, `notified`). */
  readonly tags: Readonly<Record<string, string>>;
  /** When remediation began (the `since` tag, or now for a first containment). */
  readonly since: string;
  readonly deadline: Date;
}

type NotifyDeps = Pick<WorkflowDeps, 'config' | 'mailer' | 'templates' | 'now' | 'log' | 'metrics'>;

let builtIn: MessageTemplates | undefined;

/** The templates shipped with the product (templates/notify/, embedded at build time). */
export function defaultTemplates(): MessageTemplates {
  builtIn ??= parseTemplates(DEFAULT_TEMPLATE_FILES);
  return builtIn;
}

/** Records `notify-user` `skipped` where the workflow sends nothing (notify mode, dry run). */
export function skipNotification(actions: ActionLog, deps: Pick<WorkflowDeps, 'config'>): void {
  actions.record(
    'notify-user',
    'skipped',
    deps.config.dryRun ? 'dry run' : 'notify mode: nobody is contained, so nobody is told they are',
  );
}

/**
 * After containment: the containment notice if this containment has not been announced, else the reminder
 * if it is due (REMINDER_HOURS before the deadline, once), else nothing (`already-applied`). A user who is
 * tracked but not contained (a programmatic user while CONTAIN_PROGRAMMATIC_USERS is false) is not told.
 */
export async function notifyContained(
  context: NotifyContext & { readonly contained: boolean },
  iam: IamPort,
  deps: NotifyDeps,
  item: ItemContext,
  actions: ActionLog,
): Promise<void> {
  if (!context.contained) {
    actions.record('notify-user', 'skipped', 'not contained: there is nothing to tell');
    return;
  }
  const kind = dueNotice(context, deps.now(), deps.config.notify.reminderHours);
  if (!kind) {
    actions.record('notify-user', 'already-applied');
    return;
  }
  await deliver(kind, context, deps, item, actions, iam);
}

/** After escalation: the escalation notice, once (a `notified` time at or after the deadline means sent). */
export async function notifyEscalated(
  context: NotifyContext,
  iam: IamPort,
  deps: NotifyDeps,
  item: ItemContext,
  actions: ActionLog,
): Promise<void> {
  const notified = validDate(context.tags[TAGS.notified]);
  if (notified && notified.getTime() >= context.deadline.getTime()) {
    actions.record('notify-user', 'already-applied');
    return;
  }
  await deliver('escalated', context, deps, item, actions, iam);
}

/**
 * After releasing a user who enrolled: the thank-you notice, and the time to remediate (MTTR, from the
 * `since` tag) as a metric. The release removed our tags, so nothing is recorded on the user.
 */
export async function notifyReleased(
  context: Omit<NotifyContext, 'since' | 'deadline'>,
  deps: NotifyDeps,
  item: ItemContext,
  actions: ActionLog,
): Promise<void> {
  const since = validDate(context.tags[TAGS.since]);
  if (since) deps.metrics?.seconds(METRICS.timeToRemediate, (deps.now().getTime() - since.getTime()) / 1000);
  const deadline = validDate(context.tags[TAGS.deadline]) ?? deps.now();
  await deliver(
    'released',
    { ...context, since: since?.toISOString() ?? deps.now().toISOString(), deadline },
    deps,
    item,
    actions,
  );
}

/** Which notice a contained user is due: see the module comment for the order the timestamp encodes. */
export function dueNotice(
  context: Pick<NotifyContext, 'tags' | 'since' | 'deadline'>,
  now: Date,
  reminderHours: number,
): 'contained' | 'reminder' | undefined {
  const notified = validDate(context.tags[TAGS.notified]);
  const since = validDate(context.since) ?? now;
  if (!notified || notified.getTime() < since.getTime()) return 'contained';
  if (reminderHours <= 0) return undefined;
  const reminderAt = context.deadline.getTime() - reminderHours * 3_600_000;
  const inWindow = now.getTime() >= reminderAt && now.getTime() < context.deadline.getTime();
  return inWindow && notified.getTime() < reminderAt ? 'reminder' : undefined;
}

async function deliver(
  kind: NotificationKind,
  context: NotifyContext,
  deps: NotifyDeps,
  item: ItemContext,
  actions: ActionLog,
  iam?: IamPort,
): Promise<void> {
  const { notify } = deps.config;
  if (!notify.from || !deps.mailer) {
    actions.record('notify-user', 'skipped', 'notifications are off (NOTIFY_FROM is not set)');
    return;
  }
  if (deps.config.dryRun) {
    actions.record('notify-user', 'skipped', 'dry run');
    return;
  }
  const address = context.tags[notify.emailTag];
  if (address === undefined) {
    actions.record('notify-user', 'skipped', `the user has no ${notify.emailTag} tag`);
    return;
  }
  const problem = emailAddressProblem(address.trim());
  if (problem) {
    actions.record(
      'notify-user',
      'skipped',
      `the ${notify.emailTag} tag is not an e-mail address: it ${problem}`,
    );
    return;
  }
  const message = renderMessage((deps.templates ?? defaultTemplates())[kind], templateValues(context, deps));
  try {
    await deps.mailer.send({
      from: notify.from,
      to: address.trim(),
      ...(notify.contact ? { replyTo: notify.contact } : {}),
      ...message,
      tags: { notification: kind },
    });
  } catch (error) {
    item.log.warn({ err: describeError(error), kind, userName: context.subject.userName }, 'notify_failed');
    actions.record('notify-user', 'failed', `${errorCode(error)}: ${(error as Error).message}`.slice(0, 200));
    return;
  }
  if (iam) {
    try {
      await actions.retry('TagUser', () =>
        iam.tagUser(context.subject.userName, { [TAGS.notified]: deps.now().toISOString() }),
      );
    } catch (error) {
      item.log.warn({ err: describeError(error), kind }, 'notified_tag_failed');
      actions.record(
        'notify-user',
        'applied',
        `${kind}; ${TAGS.notified} not recorded (${errorCode(error)}): the next check may send it again`,
      );
      return;
    }
  }
  actions.record('notify-user', 'applied', kind);
}

const AFTER_DEADLINE: Readonly<Record<Escalation, string>> = {
  none: 'the user stays restricted until it has MFA',
  'disable-console': 'your console password will be removed',
  'disable-console-and-keys': 'your console password will be removed and your access keys deactivated',
};
const ESCALATION_EFFECT: Readonly<Record<Escalation, string>> = {
  none: 'the user stays restricted until it has MFA',
  'disable-console': 'your console password was removed',
  'disable-console-and-keys': 'your console password was removed and your access keys were deactivated',
};

/** The template variables for one notification; never anything secret (see templates.ts). */
export function templateValues(
  context: NotifyContext,
  deps: Pick<NotifyDeps, 'config' | 'now'>,
): TemplateValues {
  const { subject, deadline } = context;
  const { config } = deps;
  return {
    userName: subject.userName,
    accountId: subject.accountId,
    deadline: deadlineInWords(deadline, config.notify.timeZone),
    deadlineIso: deadline.toISOString(),
    timeLeft: timeLeftInWords(deadline.getTime() - deps.now().getTime()),
    afterDeadline: AFTER_DEADLINE[config.escalation],
    escalationEffect: ESCALATION_EFFECT[config.escalation],
    consoleSignInUrl: `https://${subject.accountId}.signin.aws.amazon.com/console`,
    securityCredentialsUrl: 'https://console.aws.amazon.com/iam/home#/security_credentials',
    enrollCommand: `mfa-remediation enroll --user-name ${subject.userName} --account ${subject.accountId}`,
    contact: config.notify.contact ?? config.notify.from ?? 'your AWS administrators',
    guardPolicyName: NAMES.guardPolicyName,
  };
}

/** "Thursday 26 November 2026, 10:00 UTC" in the configured time zone. */
export function deadlineInWords(deadline: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(deadline);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('year')}, ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}

/** "3 days", "5 hours", "40 minutes"; "no time" once the deadline has passed. */
export function timeLeftInWords(ms: number): string {
  if (ms <= 0) return 'no time';
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (hours >= 48) return plural(days, 'day');
  if (hours >= 2) return plural(hours, 'hour');
  return plural(Math.max(1, minutes), 'minute');
}

function validDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}
