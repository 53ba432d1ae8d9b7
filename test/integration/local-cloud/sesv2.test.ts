/**
 * The local cloud's SES v2 through the unmodified AWS SDK: identities per account and region, SendEmail
 * refused as AWS refuses it when the From address has no verified identity (address or domain), and what was
 * sent served by `GET /_local/mail`.
 */
import {
  AlreadyExistsException,
  BadRequestException,
  CreateEmailIdentityCommand,
  DeleteEmailIdentityCommand,
  GetEmailIdentityCommand,
  ListEmailIdentitiesCommand,
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SendEmailCommand,
} from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';
import { admin, clientOptions, failure } from './support.ts';

const simple = (subject: string) => ({
  Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'hello' }, Html: { Data: '<p>hello</p>' } } },
});

describe('local cloud: SES v2 through the AWS SDK', () => {
  let cloud: LocalCloud;
  let ses: SESv2Client;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
    ses = new SESv2Client(clientOptions(cloud));
  });
  beforeEach(() => cloud.reset());
  afterAll(async () => {
    ses?.destroy();
    await cloud?.close();
  });

  it('refuses a From address without a verified identity with AWS’s MessageRejected', async () => {
    // Act
    const error = await failure(
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'security@example.com',
          Destination: { ToAddresses: ['bob@example.com'] },
          Content: simple('hi'),
        }),
      ),
    );
    // Assess
    expect(error).toBeInstanceOf(MessageRejected);
    expect(error.message).toBe(
      'Email address is not verified. The following identities failed the check in region US-EAST-1: security@example.com',
    );
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect((await admin(cloud, 'GET', '/_local/mail')).json()).toEqual({ messages: [] });
  });

  it('sends from a verified address or any address of a verified domain, and shows it in /_local/mail', async () => {
    // Prepare
    const created = await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'example.com' }));
    // Act
    const sent = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'MFA team <security@example.com>',
        Destination: { ToAddresses: ['bob@example.org'] },
        ReplyToAddresses: ['help@example.com'],
        Content: simple('Action needed'),
        EmailTags: [{ Name: 'notification', Value: 'contained' }],
      }),
    );
    // Assess
    expect(created).toMatchObject({ IdentityType: 'DOMAIN', VerifiedForSendingStatus: true });
    expect(sent.MessageId).toMatch(/^[0-9a-f]{16}-[0-9a-f-]{36}-000000$/);
    const mail = (await admin(cloud, 'GET', '/_local/mail')).json() as {
      messages: Record<string, unknown>[];
    };
    expect(mail.messages).toEqual([
      expect.objectContaining({
        messageId: sent.MessageId,
        accountId: '123456789012',
        region: 'us-east-1',
        from: 'MFA team <security@example.com>',
        to: ['bob@example.org'],
        replyTo: ['help@example.com'],
        subject: 'Action needed',
        text: 'hello',
        html: '<p>hello</p>',
        tags: { notification: 'contained' },
        sentAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      }),
    ]);
  });

  it('keeps identities per region and per account: another region or account is not verified', async () => {
    // Prepare
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'security@example.com' }));
    const send = (client: SESv2Client) =>
      client.send(
        new SendEmailCommand({
          FromEmailAddress: 'security@example.com',
          Destination: { ToAddresses: ['bob@example.org'] },
          Content: simple('x'),
        }),
      );
    const elsewhere = new SESv2Client({ ...clientOptions(cloud), region: 'eu-west-1' });
    // Act / Assess
    await expect(send(ses)).resolves.toMatchObject({ MessageId: expect.any(String) });
    const regional = await failure(send(elsewhere));
    expect(regional).toBeInstanceOf(MessageRejected);
    expect(regional.message).toContain('in region EU-WEST-1');
    // An identity of another account does not let this account send.
    cloud.sesv2.verifyIdentity('210987654321', 'us-east-1', 'other@example.com');
    const foreign = await failure(
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'other@example.com',
          Destination: { ToAddresses: ['bob@example.org'] },
          Content: simple('x'),
        }),
      ),
    );
    expect(foreign).toBeInstanceOf(MessageRejected);
    elsewhere.destroy();
  });

  it('creates, gets, lists and deletes identities with AWS’s errors', async () => {
    // Act
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'security@example.com' }));
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'example.net' }));
    const duplicate = await failure(
      ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'Security@Example.com' })),
    );
    const invalid = await failure(
      ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'not a domain' })),
    );
    const got = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'security@example.com' }));
    const firstPage = await ses.send(new ListEmailIdentitiesCommand({ PageSize: 1 }));
    const secondPage = await ses.send(
      new ListEmailIdentitiesCommand({ PageSize: 1, NextToken: firstPage.NextToken }),
    );
    await ses.send(new DeleteEmailIdentityCommand({ EmailIdentity: 'security@example.com' }));
    const gone = await failure(
      ses.send(new GetEmailIdentityCommand({ EmailIdentity: 'security@example.com' })),
    );
    // Assess
    expect(duplicate).toBeInstanceOf(AlreadyExistsException);
    expect(invalid).toBeInstanceOf(BadRequestException);
    expect(got).toMatchObject({
      IdentityType: 'EMAIL_ADDRESS',
      VerifiedForSendingStatus: true,
      VerificationStatus: 'SUCCESS',
    });
    expect(firstPage.EmailIdentities?.map((i) => i.IdentityName)).toEqual(['example.net']);
    expect(secondPage.EmailIdentities?.map((i) => [i.IdentityName, i.IdentityType])).toEqual([
      ['security@example.com', 'EMAIL_ADDRESS'],
    ]);
    expect(secondPage.NextToken).toBeUndefined();
    expect(gone).toBeInstanceOf(NotFoundException);
    expect(gone.$metadata.httpStatusCode).toBe(404);
  });

  it('refuses what SES refuses: no recipient, a header break in an address, non-Simple content', async () => {
    // Prepare
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: 'example.com' }));
    const base = { FromEmailAddress: 'security@example.com', Content: simple('x') };
    // Act
    const none = await failure(ses.send(new SendEmailCommand({ ...base, Destination: { ToAddresses: [] } })));
    const injected = await failure(
      ses.send(
        new SendEmailCommand({
          ...base,
          Destination: { ToAddresses: ['bob@example.org\r\nBcc: eve@evil.test'] },
        }),
      ),
    );
    const raw = await failure(
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'security@example.com',
          Destination: { ToAddresses: ['bob@example.org'] },
          Content: { Raw: { Data: new TextEncoder().encode('Subject: x\r\n\r\nbody') } },
        }),
      ),
    );
    // Assess
    for (const error of [none, injected, raw]) expect(error).toBeInstanceOf(BadRequestException);
    expect(cloud.sesv2.messages()).toEqual([]);
  });
});
