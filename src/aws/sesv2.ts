/**
 * The SES v2 adapter: {@link MailerPort} over `@aws-sdk/client-sesv2` SendEmail with Simple content (a
 * subject, a text and an HTML part, all UTF-8). SES builds and encodes the headers itself from these fields,
 * so nothing we pass is ever spliced into a raw message; the addresses were validated before they got here
 * (src/core/notify/address.ts). SES authorises the call against the sending identity (the From address or its
 * domain), which is the only SES resource the worker's role may send from.
 */
import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { MailerPort } from '../core/ports.ts';
import { call } from './sdk-errors.ts';

const UTF8 = 'UTF-8';

export function createSesMailer(client: SESv2Client): MailerPort {
  return {
    async send(message) {
      const response = await call('ses', 'SendEmail', () =>
        client.send(
          new SendEmailCommand({
            FromEmailAddress: message.from,
            Destination: { ToAddresses: [message.to] },
            ...(message.replyTo ? { ReplyToAddresses: [message.replyTo] } : {}),
            Content: {
              Simple: {
                Subject: { Data: message.subject, Charset: UTF8 },
                Body: {
                  Text: { Data: message.text, Charset: UTF8 },
                  Html: { Data: message.html, Charset: UTF8 },
                },
              },
            },
            ...(message.tags
              ? { EmailTags: Object.entries(message.tags).map(([Name, Value]) => ({ Name, Value })) }
              : {}),
          }),
        ),
      );
      return { messageId: response.MessageId ?? '' };
    },
  };
}
