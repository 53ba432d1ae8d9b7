/**
 * Person-notification templates (docs/reference.md: Person notifications): one plain-text file (whose first
 * line is `Subject: …`) and one HTML file per kind of message, with `{{variable}}` placeholders.
 *
 * Rendering is a single pass over the template: a value is inserted once and never scanned again, so a user
 * name or tag value can never introduce a placeholder (no template injection). In HTML every value is escaped;
 * in text and subject, line breaks and control characters in a value become spaces, so no value can start a
 * new line or a new header. Templates know only the variables in {@link TEMPLATE_VARIABLES}, none of which can
 * hold a seed, an authentication code or a password; an unknown variable is an error when templates load.
 */

/** The messages a person receives, in the order of a campaign. */
export const NOTIFICATION_KINDS = ['contained', 'reminder', 'escalated', 'released'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Every variable a template may use, and what it holds (the reference documents the same list). */
export const TEMPLATE_VARIABLES = {
  userName: 'the IAM user name',
  accountId: 'the 12-digit account id',
  deadline: 'the deadline in words, in NOTIFY_TIME_ZONE (e.g. "Thursday 26 November 2026, 10:00 UTC")',
  deadlineIso: 'the deadline as ISO-8601 (UTC)',
  timeLeft: 'time left until the deadline in words (e.g. "3 days"); "no time" once it has passed',
  afterDeadline:
    'what happens at the deadline, from ESCALATION (e.g. "your console password will be removed")',
  escalationEffect: 'what escalation did (e.g. "your console password was removed")',
  consoleSignInUrl: "the account's console sign-in URL",
  securityCredentialsUrl: "the console page of the user's own security credentials",
  enrollCommand: 'the mfa-remediation enroll command line for this user',
  contact: 'NOTIFY_CONTACT: whom to ask for an exemption or help',
  guardPolicyName: 'the guard policy name (MfaRemediationGuard)',
} as const;
export type TemplateVariable = keyof typeof TEMPLATE_VARIABLES;
export type TemplateValues = Readonly<Record<TemplateVariable, string>>;

/** One kind's templates, checked. */
export interface MessageTemplate {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export type MessageTemplates = Readonly<Record<NotificationKind, MessageTemplate>>;

/** A rendered message. */
export interface RenderedMessage {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** A template that cannot be used; `file` names it (e.g. `contained.txt`). */
export class TemplateError extends Error {
  readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'TemplateError';
    this.file = file;
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
const SUBJECT_LINE = /^Subject:[ \t]*(.*)\r?\n(?:\r?\n)?/;
/** Subjects stay short enough for every mail client and well under the header line limit. */
const MAX_SUBJECT = 200;

function checkPlaceholders(file: string, template: string): void {
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] as string;
    if (!(name in TEMPLATE_VARIABLES)) {
      throw new TemplateError(
        file,
        `unknown variable {{${name}}} (known: ${Object.keys(TEMPLATE_VARIABLES).join(', ')})`,
      );
    }
  }
}

/** Checks and splits one kind's files: `<kind>.txt` (Subject line, blank line, body) and `<kind>.html`. */
export function parseTemplate(kind: NotificationKind, text: string, html: string): MessageTemplate {
  const textFile = `${kind}.txt`;
  const subject = SUBJECT_LINE.exec(text);
  if (!subject || (subject[1] ?? '').trim() === '') {
    throw new TemplateError(textFile, 'must start with a "Subject: …" line');
  }
  const body = text.slice(subject[0].length);
  if (body.trim() === '') throw new TemplateError(textFile, 'has no body after the Subject line');
  if (html.trim() === '') throw new TemplateError(`${kind}.html`, 'is empty');
  checkPlaceholders(textFile, text);
  checkPlaceholders(`${kind}.html`, html);
  return { subject: (subject[1] as string).trim(), text: body, html };
}

/** Parses every kind from a map of file name → content; throws {@link TemplateError} for a missing file. */
export function parseTemplates(files: Readonly<Record<string, string>>): MessageTemplates {
  const file = (name: string) => {
    const content = files[name];
    if (content === undefined) throw new TemplateError(name, 'is missing');
    return content;
  };
  return Object.fromEntries(
    NOTIFICATION_KINDS.map((kind) => [kind, parseTemplate(kind, file(`${kind}.txt`), file(`${kind}.html`))]),
  ) as unknown as MessageTemplates;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] as string);
}

/** One line of plain text: line breaks, tabs and other control characters become spaces. */
function oneLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ');
}

function fill(template: string, values: TemplateValues, encode: (value: string) => string): string {
  return template.replace(PLACEHOLDER, (_match, name: string) =>
    encode(oneLine(values[name as TemplateVariable] ?? '')),
  );
}

/** Renders a message: every value escaped for where it lands (see the module comment). */
export function renderMessage(template: MessageTemplate, values: TemplateValues): RenderedMessage {
  const subject = oneLine(fill(template.subject, values, (v) => v))
    .replace(/\s+/g, ' ')
    .trim();
  return {
    subject: subject.length <= MAX_SUBJECT ? subject : `${subject.slice(0, MAX_SUBJECT - 1)}…`,
    text: fill(template.text, values, (v) => v),
    html: fill(template.html, values, escapeHtml),
  };
}
