/**
 * Notification templates and addresses (docs/reference.md: Person notifications): the embedded copy matches
 * templates/notify/, rendering escapes every value for where it lands and never re-reads a value as a
 * template, the variables can hold nothing secret, NOTIFY_TEMPLATE_DIR overrides file by file and a broken
 * template stops start-up naming the file, and addresses from tags are accepted only in their plain form.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED, ROOT, readTemplateFiles, renderEmbedded } from '../../scripts/embed-templates.ts';
import { loadConfig } from '../../src/config.ts';
import { emailAddressProblem, isEmailAddress } from '../../src/core/notify/address.ts';
import { DEFAULT_TEMPLATE_FILES } from '../../src/core/notify/default-templates.ts';
import {
  deadlineInWords,
  defaultTemplates,
  templateValues,
  timeLeftInWords,
} from '../../src/core/notify/notifier.ts';
import {
  NOTIFICATION_KINDS,
  parseTemplate,
  renderMessage,
  TEMPLATE_VARIABLES,
  TemplateError,
  type TemplateValues,
} from '../../src/core/notify/templates.ts';
import { ConfigError } from '../../src/errors.ts';
import { loadTemplates } from '../../src/notify-templates.ts';
import { testConfig } from '../helpers/deps.ts';

const values = (overrides: Partial<TemplateValues> = {}): TemplateValues => ({
  ...(Object.fromEntries(Object.keys(TEMPLATE_VARIABLES).map((k) => [k, `<${k}>`])) as TemplateValues),
  ...overrides,
});

describe('notification templates', () => {
  it('embeds exactly the files of templates/notify/ (run scripts/embed-templates.ts after editing them)', () => {
    expect(DEFAULT_TEMPLATE_FILES).toEqual(readTemplateFiles());
    expect(readFileSync(join(ROOT, EMBEDDED), 'utf8')).toBe(renderEmbedded());
    expect(Object.keys(DEFAULT_TEMPLATE_FILES).sort()).toEqual(
      NOTIFICATION_KINDS.flatMap((kind) => [`${kind}.html`, `${kind}.txt`]).sort(),
    );
  });

  it('ships a subject, a text and an HTML part for every kind, using only known variables', () => {
    const templates = defaultTemplates();
    for (const kind of NOTIFICATION_KINDS) {
      expect(templates[kind].subject.length, kind).toBeGreaterThan(10);
      expect(templates[kind].text, kind).toContain('{{userName}}');
      expect(templates[kind].html, kind).toContain('<!doctype html>');
    }
    expect(templates.contained.text).toContain('{{deadline}}');
    expect(templates.contained.text).toContain('{{enrollCommand}}');
    expect(templates.contained.text).toContain('{{contact}}');
  });

  it('offers no variable that could carry a seed, a code, a password or credentials', () => {
    // securityCredentialsUrl is the console page's address, not a credential.
    const names = Object.keys(TEMPLATE_VARIABLES)
      .join(' ')
      .toLowerCase()
      .replace('securitycredentialsurl', '');
    for (const secret of [
      'seed',
      'code',
      'password',
      'secret',
      'token',
      'otpauth',
      'qr',
      'key',
      'credential',
    ]) {
      expect(names).not.toContain(secret);
    }
    // The values the notifier fills in come from the user's name, account, deadline and configuration only.
    const filled = templateValues(
      {
        subject: { accountId: '111111111111', userName: 'bob' },
        tags: {},
        since: '2026-11-23T10:00:00.000Z',
        deadline: new Date('2026-11-26T10:00:00.000Z'),
      },
      { config: testConfig(), now: () => new Date('2026-11-23T10:00:00.000Z') },
    );
    expect(Object.keys(filled).sort()).toEqual(Object.keys(TEMPLATE_VARIABLES).sort());
  });

  it('HTML-escapes values, keeps every value on one line, and never expands a placeholder inside a value', () => {
    // Prepare: values an attacker might get into a user name, a tag or a contact.
    const template = parseTemplate(
      'contained',
      'Subject: For {{userName}} by {{deadline}}\n\nHello {{userName}}\nAsk {{contact}}.\n',
      '<p title="{{userName}}">{{userName}} {{contact}}</p>',
    );
    const hostile = values({
      userName: '<script>alert(1)</script>"\'&',
      contact: '{{enrollCommand}}',
      deadline: 'soon\r\nBcc: eve@evil.test',
    });
    // Act
    const message = renderMessage(template, hostile);
    // Assess
    expect(message.html).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp; {{enrollCommand}}</p>',
    );
    expect(message.subject).toBe('For <script>alert(1)</script>"\'& by soon Bcc: eve@evil.test');
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.text).toContain('Ask {{enrollCommand}}.');
    expect(message.text).not.toContain('<enrollCommand>');
  });

  it('refuses a template with an unknown variable or without its Subject line, naming the file', () => {
    expect(() => parseTemplate('reminder', 'Subject: x\n\n{{seed}}', '<p></p>')).toThrow(TemplateError);
    expect(() => parseTemplate('reminder', 'Subject: x\n\n{{seed}}', '<p></p>')).toThrow(
      /reminder\.txt: unknown variable \{\{seed\}\}/,
    );
    expect(() => parseTemplate('released', 'Hello', '<p></p>')).toThrow(
      /released\.txt: must start with a "Subject: …" line/,
    );
    expect(() => parseTemplate('released', 'Subject: x\n\nbody', '<p>{{ password }}</p>')).toThrow(
      /released\.html: unknown variable/,
    );
  });

  it('NOTIFY_TEMPLATE_DIR replaces templates file by file and stops start-up on a broken one', () => {
    // Prepare
    const directory = mkdtempSync(join(tmpdir(), 'mfa-templates-'));
    writeFileSync(
      join(directory, 'reminder.txt'),
      'Subject: Nudge for {{userName}}\n\nPlease, {{userName}}.\n',
    );
    const broken = join(directory, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'contained.html'), '<p>{{secretValue}}</p>');
    // Act
    const templates = loadTemplates(directory);
    // Assess
    expect(templates.reminder.subject).toBe('Nudge for {{userName}}');
    expect(templates.contained).toEqual(defaultTemplates().contained);
    expect(() => loadTemplates(broken)).toThrow(ConfigError);
    expect(() => loadTemplates(broken)).toThrow(
      /^NOTIFY_TEMPLATE_DIR: contained\.html: unknown variable \{\{secretValue\}\}/,
    );
    expect(() => loadTemplates(join(directory, 'missing'))).toThrow(
      /^NOTIFY_TEMPLATE_DIR: ".*missing" is not a directory$/,
    );
  });

  it('writes deadlines in words in the configured time zone', () => {
    const deadline = new Date('2026-11-26T10:00:00.000Z');
    expect(deadlineInWords(deadline, 'UTC')).toBe('Thursday 26 November 2026, 10:00 UTC');
    expect(deadlineInWords(deadline, 'Europe/Berlin')).toBe('Thursday 26 November 2026, 11:00 CET');
    expect(timeLeftInWords(72 * 3_600_000)).toBe('3 days');
    expect(timeLeftInWords(30 * 3_600_000)).toBe('30 hours');
    expect(timeLeftInWords(90 * 60_000)).toBe('90 minutes');
    expect(timeLeftInWords(1)).toBe('1 minute');
    expect(timeLeftInWords(-5)).toBe('no time');
  });
});

describe('e-mail addresses from tags', () => {
  it.each([
    'bob@example.com',
    'bob.smith+mfa@mail.example.co.uk',
    "o'neil@example.org",
    'x_y-z@sub-domain.example',
  ])('accepts %s', (address) => {
    expect(isEmailAddress(address)).toBe(true);
  });

  it.each([
    ['', 'is empty'],
    ['bob', 'is not of the form name@domain'],
    ['bob@', 'is not of the form name@domain'],
    ['bob@localhost', 'has a domain that is not a host name'],
    ['bob@10.0.0.1', 'has a domain that is not a host name'],
    ['bob smith@example.com', 'has characters an e-mail address cannot contain before the @'],
    ['bob@example.com eve@evil.test', 'has characters an e-mail address cannot contain before the @'],
    ['bob@example.com,eve@evil.test', 'has characters an e-mail address cannot contain before the @'],
    ['Bob <bob@example.com>', 'has characters an e-mail address cannot contain before the @'],
    ['bob@example.com\r\nBcc: eve@evil.test', 'has characters an e-mail address cannot contain before the @'],
    ['bob@exa mple.com', 'has a domain that is not a host name'],
    ['.bob@example.com', 'has characters an e-mail address cannot contain before the @'],
    ['bob..smith@example.com', 'has characters an e-mail address cannot contain before the @'],
    [`${'a'.repeat(65)}@example.com`, 'has a local part longer than 64 characters'],
  ])('refuses %j: it %s', (address, problem) => {
    expect(emailAddressProblem(address)).toBe(problem);
  });
});

describe('notification configuration', () => {
  const base = { OUTCOME_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:t' };

  it('is off without NOTIFY_FROM and defaults to the email tag, a 24-hour reminder and UTC', () => {
    expect(loadConfig(base).notify).toEqual({
      from: undefined,
      emailTag: 'email',
      reminderHours: 24,
      contact: undefined,
      templateDir: undefined,
      timeZone: 'UTC',
    });
    expect(loadConfig({ ...base, NOTIFY_FROM: ' security@example.com ' }).notify).toMatchObject({
      from: 'security@example.com',
      contact: 'security@example.com',
    });
  });

  it.each([
    [
      'NOTIFY_FROM',
      'Security <security@example.com>',
      /^NOTIFY_FROM: "Security <security@example.com>" has characters/,
    ],
    ['NOTIFY_CONTACT', 'helpdesk', /^NOTIFY_CONTACT: "helpdesk" is not of the form name@domain/],
    ['NOTIFY_EMAIL_TAG', 'aws:email', /^NOTIFY_EMAIL_TAG: "aws:email" is not an IAM tag key$/],
    ['NOTIFY_EMAIL_TAG', 'e,mail', /^NOTIFY_EMAIL_TAG: "e,mail" is not an IAM tag key$/],
    ['REMINDER_HOURS', 'soon', /^REMINDER_HOURS: must be a number \(got "soon"\)$/],
    ['REMINDER_HOURS', '-1', /^REMINDER_HOURS: must be between 0 and 8760/],
    ['NOTIFY_TIME_ZONE', 'Mars/Olympus', /^NOTIFY_TIME_ZONE: "Mars\/Olympus" is not an IANA time zone/],
  ])('%s=%j stops start-up with one line naming it', (name, value, message) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(message);
  });
});
