/**
 * The product's own task messages (docs/reference.md: Messages) → one intake item, validated with `TaskMessage`.
 * `enrollment-codes` and `resync-codes` carry authentication codes: nothing here ever puts them in a reason.
 */
import {
  describeZodError,
  formatPath,
  type IntakeContext,
  rejected,
  show,
  terminal,
  withoutUndefined,
  work,
} from './intake-items.ts';
import { AccountId, type IntakeItem, TaskMessage, type TaskType, type Trigger, UserName } from './model.ts';

/** Every task `type` the product accepts, in the order docs/reference.md (Messages) lists them. */
export const TASK_TYPES: readonly TaskType[] = TaskMessage.options.map((option) => option.shape.type.value);

/** Turns a task message into a work item, or a rejection naming the field (under `path`). Never throws. */
export function parseTask(raw: Record<string, unknown>, context: IntakeContext, path = ''): IntakeItem {
  const type = raw.type;
  if (typeof type !== 'string' || !(TASK_TYPES as readonly string[]).includes(type)) {
    const shown = typeof type === 'string' ? JSON.stringify(type.slice(0, 64)) : show(type);
    const field = formatPath(['type'], path);
    const reason = `${field}: unknown task type ${shown}; expected one of ${TASK_TYPES.join(', ')}`;
    return terminal(
      rejected(reason, field, withoutUndefined({ source: 'unknown', messageId: context.messageId })),
    );
  }
  const parsed = TaskMessage.safeParse(raw);
  if (!parsed.success) {
    const { field, reason } = describeZodError(parsed.error, path);
    const subject = {
      accountId: AccountId.safeParse(raw.accountId).success ? (raw.accountId as string) : undefined,
      userName: UserName.safeParse(raw.userName).success ? (raw.userName as string) : undefined,
    };
    const redacted = redact(reason, [raw.code1, raw.code2]);
    return terminal(rejected(redacted, field, taskTrigger(type as TaskType, raw, context), subject));
  }
  const task = parsed.data;
  const trigger = taskTrigger(task.type, task, context);
  switch (task.type) {
    case 'mfa-missing':
      return work({
        type: task.type,
        accountId: task.accountId,
        userName: task.userName,
        sweepId: task.sweepId,
        detectedAt: task.detectedAt,
        trigger,
      });
    case 'verify':
      return work({ type: task.type, accountId: task.accountId, userName: task.userName, trigger });
    case 'enrollment-codes':
    case 'resync-codes':
      return work({
        type: task.type,
        accountId: task.accountId,
        userName: task.userName,
        serialNumber: task.serialNumber,
        code1: task.code1,
        code2: task.code2,
        trigger,
      });
    case 'sweep-account':
      return work({
        type: task.type,
        accountId: task.accountId,
        sweepId: task.sweepId,
        scope: task.scope,
        trigger,
      });
  }
}

/** The trigger of a task, from its own fields; usable on an invalid task too (only strings are copied). */
function taskTrigger(type: TaskType, raw: Record<string, unknown>, context: IntakeContext): Trigger {
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 128 ? value : undefined);
  const messageId = context.messageId;
  switch (type) {
    case 'mfa-missing': {
      const source = raw.source === 'sweep' ? 'sweep' : 'manual';
      return withoutUndefined({ source, sweepId: text(raw.sweepId), messageId });
    }
    case 'verify':
      return withoutUndefined({ source: 'manual', messageId });
    case 'enrollment-codes':
    case 'resync-codes':
      return withoutUndefined({ source: 'enrollment', requestId: text(raw.requestId), messageId });
    case 'sweep-account':
      return withoutUndefined({ source: 'sweep', sweepId: text(raw.sweepId), messageId });
  }
}

/**
 * Belt and braces: zod's messages never include input values, but a reason that somehow contained a
 * submitted code must not leave the process. Codes shorter than four characters are not worth guessing at.
 */
function redact(reason: string, secrets: readonly unknown[]): string {
  let result = reason;
  for (const secret of secrets) {
    if (typeof secret === 'string' && secret.length >= 4) result = result.split(secret).join('***');
  }
  return result;
}
