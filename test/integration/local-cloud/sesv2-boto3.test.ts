/**
 * The local cloud's SES v2 as a client nobody here wrote sees it: Debian's python3-boto3 (botocore's own
 * serialisers and error parsing) sends, is refused as AWS refuses, creates, gets, lists and deletes
 * identities. Where python3 with boto3 is not installed (`apt-get install -y python3-boto3`), the test says so
 * and skips.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';

const probe = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
const available = probe.status === 0;
if (!available) process.stderr.write('SES v2 boto3 test skipped: python3 with boto3 is not installed\n');

const SCRIPT = `
import boto3, json, sys
ses = boto3.client('sesv2', endpoint_url=sys.argv[1], region_name='us-east-1',
                   aws_access_key_id='test', aws_secret_access_key='test')
out = {}
message = {'Simple': {'Subject': {'Data': 'Hi'}, 'Body': {'Text': {'Data': 'text'}, 'Html': {'Data': '<p>html</p>'}}}}
try:
    ses.send_email(FromEmailAddress='security@example.com', Destination={'ToAddresses': ['bob@example.org']}, Content=message)
except ses.exceptions.MessageRejected as e:
    out['refused'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error']['Message']]
out['created'] = ses.create_email_identity(EmailIdentity='example.com')['VerifiedForSendingStatus']
try:
    ses.create_email_identity(EmailIdentity='example.com')
except ses.exceptions.AlreadyExistsException as e:
    out['duplicate'] = e.response['Error']['Code']
out['sent'] = bool(ses.send_email(FromEmailAddress='security@example.com', Destination={'ToAddresses': ['bob@example.org']}, Content=message)['MessageId'])
out['listed'] = [i['IdentityName'] for i in ses.list_email_identities()['EmailIdentities']]
out['type'] = ses.get_email_identity(EmailIdentity='example.com')['IdentityType']
ses.delete_email_identity(EmailIdentity='example.com')
try:
    ses.get_email_identity(EmailIdentity='example.com')
except ses.exceptions.NotFoundException as e:
    out['gone'] = e.response['ResponseMetadata']['HTTPStatusCode']
print(json.dumps(out))
`;

describe('local cloud SES v2 through boto3', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('answers botocore as SES does', async (context) => {
    if (!available) {
      context.skip('python3 with boto3 is not installed');
      return;
    }
    // Act: the Python process must not block this event loop, which serves its requests.
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('python3', ['-c', SCRIPT, cloud.url], { env: { PATH: process.env.PATH ?? '' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
      });
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    // Assess
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      refused: [
        'MessageRejected',
        400,
        'Email address is not verified. The following identities failed the check in region US-EAST-1: security@example.com',
      ],
      created: true,
      duplicate: 'AlreadyExistsException',
      sent: true,
      listed: ['example.com'],
      type: 'DOMAIN',
      gone: 404,
    });
    expect(cloud.sesv2.messages()).toHaveLength(1);
  }, 30_000);
});
