/**
 * Bad input to the local cloud's HTTP surface: random methods, paths, headers, content types, signatures and
 * bodies (form-encoded query requests with real and made-up actions, JSON documents, binary noise, huge
 * values), through both protocols. Every answer must be AWS-shaped — an XML error document for the query
 * protocol, a JSON error for the JSON protocols, a 4xx/5xx status — never a stack trace or HTML, and the
 * server must still answer its health check afterwards.
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/server.ts';

const SERVICES = ['iam', 'sts', 'sqs', 'sns', 'securityhub', 'organizations', 'secretsmanager', 'ec2', ''];
const QUERY_SERVICES = new Set(['iam', 'sts', 'sns']);
const ACTIONS = [
  'CreateUser',
  'TagUser',
  'EnableMFADevice',
  'CreateRole',
  'AssumeRole',
  'GetCallerIdentity',
  'Publish',
  'Subscribe',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'CreateQueue',
  'GetQueueAttributes',
  'DeleteMessageBatch',
  'ListUsers',
  'UnknownThing',
  '',
];
const TARGETS = [
  'AmazonSQS.SendMessage',
  'AmazonSQS.ReceiveMessage',
  'AmazonSQS.Nope',
  'AWSOrganizationsV20161128.ListAccounts',
  'secretsmanager.CreateSecret',
  'secretsmanager.GetSecretValue',
  'garbage',
];
const PARAMS = [
  'UserName',
  'QueueUrl',
  'QueueName',
  'MessageBody',
  'RoleArn',
  'RoleSessionName',
  'DurationSeconds',
  'TopicArn',
  'Message',
  'AssumeRolePolicyDocument',
  'RoleName',
  'Tags.member.1.Key',
  'Attribute.1.Name',
  'SendMessageBatchRequestEntry.1.Id',
  'MaxItems',
  'Marker',
  'SerialNumber',
  'AuthenticationCode1',
];

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function send(url: string, method: string, path: string, headers: Record<string, string>, body: string) {
  return new Promise<Raw>((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    '%',
    '%zz',
    '\u0000',
    '💥',
    '-1',
    '99999999999',
    'arn:aws:iam::123456789012:role/x',
    '{"a":',
  ),
  fc.string({ minLength: 70_000, maxLength: 70_001 }),
);
const form = fc
  .tuple(fc.constantFrom(...ACTIONS), fc.array(fc.tuple(fc.constantFrom(...PARAMS), value), { maxLength: 6 }))
  .map(([action, params]) =>
    [action ? `Action=${action}` : '', ...params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`)].join('&'),
  );
const json = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .dictionary(
      fc.constantFrom('QueueUrl', 'MessageBody', 'Entries', 'Filters', 'Findings', 'Name'),
      fc.jsonValue(),
    )
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
);
const scenario = fc.record({
  method: fc.constantFrom('POST', 'POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  path: fc.constantFrom(
    '/',
    '/123456789012/q',
    '/123456789012/%E0%A4%A',
    '/findings',
    '/findings/import',
    '/findings/batchupdate',
    '/_local/health',
    '/_local/seed',
    '/_local/faults',
    '/_local/nope',
    '/../../etc/passwd',
    '/?Action=ListUsers',
  ),
  service: fc.constantFrom(...SERVICES),
  signature: fc.constantFrom('valid', 'none', 'garbage', 'presigned'),
  contentType: fc.constantFrom(
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-amz-json-1.0',
    'application/x-amz-json-1.1',
    'application/json',
    'text/html',
    '',
  ),
  target: fc.option(fc.constantFrom(...TARGETS), { nil: undefined }),
  body: fc.oneof(
    form,
    json,
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  ),
});

describe('local cloud: bad input to the HTTP surface (fuzz)', () => {
  let cloud: LocalCloud;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, randomSeed: 3 });
    cloud.seed({ users: [{ userName: 'fuzz' }] });
  });
  afterAll(async () => {
    await cloud.close();
  });

  it('answers every request AWS-shaped, never with a stack trace or HTML, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        // Prepare
        const headers: Record<string, string> = {};
        if (s.contentType) headers['content-type'] = s.contentType;
        if (s.target) headers['x-amz-target'] = s.target;
        let path = s.path;
        if (s.signature === 'valid' && s.service) {
          headers.authorization = `AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20261123/us-east-1/${s.service}/aws4_request, SignedHeaders=host, Signature=00`;
        } else if (s.signature === 'garbage') {
          headers.authorization = 'AWS4-HMAC-SHA256 Credential=///, Signature';
        } else if (s.signature === 'presigned' && s.service) {
          path += `${path.includes('?') ? '&' : '?'}X-Amz-Credential=${encodeURIComponent(`AKID/20261123/us-east-1/${s.service}/aws4_request`)}`;
        }

        // Act
        const response = await send(
          cloud.url,
          s.method,
          path,
          headers,
          s.method === 'GET' || s.method === 'HEAD' ? '' : s.body,
        );

        // Assess
        // A request Node's HTTP parser refuses (framing) never reaches a route: a query-protocol 400 for all.
        const unparsed = response.body.includes('<Code>MalformedHttpRequest</Code>');
        const admin = s.path.startsWith('/_local/') && !unparsed;
        expect(response.body).not.toMatch(/<html|<!DOCTYPE|\n\s+at [\w.<>]+ \(|\.ts:\d+:\d+/i);
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(600);
        if (response.status < 400 || s.method === 'HEAD') return;
        const type = String(response.headers['content-type'] ?? '');
        if (admin) {
          expect(type).toMatch(/json|text\/plain/);
          return;
        }
        if (type.includes('xml')) {
          expect(response.body).toMatch(
            /^<ErrorResponse( xmlns="[^"]+")?><Error><Type>(Sender|Receiver)<\/Type><Code>[\w.]+<\/Code>/,
          );
          expect(response.headers['x-amzn-requestid']).toBeTruthy();
        } else {
          expect(type).toMatch(/json/);
          const document = JSON.parse(response.body) as Record<string, unknown>;
          expect(typeof (document.__type ?? document.Code ?? response.headers['x-amzn-errortype'])).toBe(
            'string',
          );
        }
        if (QUERY_SERVICES.has(s.service) && s.signature === 'valid') expect(type).toContain('xml');
      }),
      { numRuns: 400, seed: 20261123, interruptAfterTimeLimit: 60_000 },
    );
    const health = await send(cloud.url, 'GET', '/_local/health', {}, '');
    expect(health).toMatchObject({ status: 200, body: '{"status":"ok"}' });
  }, 120_000);
});
