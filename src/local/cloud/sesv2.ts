/**
 * Amazon SES v2 emulator for the local cloud (REST-JSON, signing name `ses`): the calls person notifications
 * and their tests use — SendEmail (Simple content) and the email-identity calls CreateEmailIdentity,
 * GetEmailIdentity, ListEmailIdentities and DeleteEmailIdentity. What SES "delivered" is kept in memory and
 * served by `GET /_local/mail`.
 *
 * As on AWS: identities belong to an account and a region; SendEmail is refused with `MessageRejected`
 * ("Email address is not verified. The following identities failed the check in region …") unless the From
 * address, or its domain, is a verified identity of the caller's account in the request's region.
 * Knowingly different (docs/local-cloud.md): CreateEmailIdentity verifies at once, since there is no inbox to
 * click a link in and no DNS to publish DKIM records to; accounts are out of the SES sandbox (recipients need
 * no verification); only Simple content is accepted (Raw and Template are refused with BadRequestException).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  AwsApiError,
  type EmulatedService,
  type LocalCloudEnv,
  type LocalRequest,
  type LocalResponse,
} from '../cloud-types.ts';
import { jsonResponse, parseJsonObject } from './json-protocol.ts';
import { paginateByOffset } from './pagination.ts';

/** One message SES accepted, as `GET /_local/mail` shows it. */
export interface SentMail {
  readonly messageId: string;
  readonly accountId: string;
  readonly region: string;
  readonly from: string;
  readonly to: string[];
  readonly cc: string[];
  readonly bcc: string[];
  readonly replyTo: string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly tags: Record<string, string>;
  readonly sentAt: string;
}

/** The SES v2 emulator plus in-process access for tests and the demo. */
export interface SesV2Service extends EmulatedService {
  /** Every message sent, oldest first. */
  messages(): SentMail[];
  /** Adds a verified identity (an address or a domain) without a request, e.g. for the demo. */
  verifyIdentity(accountId: string, region: string, identity: string): void;
}

interface Identity {
  readonly name: string;
  readonly type: 'EMAIL_ADDRESS' | 'DOMAIN';
  readonly tags: { Key: string; Value: string }[];
}

const MAX_RECIPIENTS = 50;
const LIST_PAGE_SIZE = 100;
const ADDRESS =
  /^[^\s@<>,;"]+@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)$/;
const DOMAIN =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const badRequest = (message: string) => new AwsApiError('BadRequestException', message, 400);
const notFound = (message: string) => new AwsApiError('NotFoundException', message, 404);

/** `Name <address>` or `address` → the address, as SES reads a From or Reply-To value. */
function addressOf(value: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(value);
  return (angle ? (angle[1] as string) : value).trim();
}

function addresses(field: unknown, name: string): string[] {
  if (field === undefined) return [];
  if (!Array.isArray(field) || field.some((v) => typeof v !== 'string')) {
    throw badRequest(`${name} must be a list of e-mail addresses.`);
  }
  for (const value of field as string[]) {
    if (/[\r\n]/.test(value) || !ADDRESS.test(addressOf(value)))
      throw badRequest(`Illegal address: ${value}`);
  }
  return field as string[];
}

function text(part: unknown, name: string): string | undefined {
  if (part === undefined) return undefined;
  const data = (part as { Data?: unknown } | null)?.Data;
  if (typeof data !== 'string') throw badRequest(`${name}.Data is required.`);
  return data;
}

/** `METHOD path` → operation, as the SDK's HTTP bindings route them. */
function operationOf(req: Pick<LocalRequest, 'method' | 'path'>): string {
  const method = req.method.toUpperCase();
  const path = req.path.replace(/\/+$/, '');
  if (method === 'POST' && path === '/v2/email/outbound-emails') return 'SendEmail';
  // Current SDKs list with POST /v2/email/list-identities (JSON body); older ones with GET and a query.
  if (method === 'POST' && path === '/v2/email/list-identities') return 'ListEmailIdentities';
  if (path === '/v2/email/identities') {
    if (method === 'POST') return 'CreateEmailIdentity';
    if (method === 'GET') return 'ListEmailIdentities';
  }
  if (/^\/v2\/email\/identities\/[^/]+$/.test(path)) {
    if (method === 'GET') return 'GetEmailIdentity';
    if (method === 'DELETE') return 'DeleteEmailIdentity';
  }
  return 'Unknown';
}

/** Creates the SES v2 emulator. */
export function createSesV2Service(env: LocalCloudEnv): SesV2Service {
  const identities = new Map<string, Map<string, Identity>>();
  let sent: SentMail[] = [];
  const scope = (accountId: string, region: string) => {
    const key = `${accountId}/${region}`;
    let map = identities.get(key);
    if (!map) {
      map = new Map();
      identities.set(key, map);
    }
    return map;
  };
  const regionOf = (req: LocalRequest) => req.region || env.defaultRegion;
  const identityName = (req: LocalRequest) =>
    decodeURIComponent(req.path.replace(/\/+$/, '').slice('/v2/email/identities/'.length));

  function create(accountId: string, region: string, name: unknown, tags: unknown = []): Identity {
    if (typeof name !== 'string' || name === '') throw badRequest('EmailIdentity is required.');
    const type = name.includes('@') ? 'EMAIL_ADDRESS' : 'DOMAIN';
    if (type === 'EMAIL_ADDRESS' ? !ADDRESS.test(name) : !DOMAIN.test(name)) {
      throw badRequest(`Invalid email identity: ${name}`);
    }
    const map = scope(accountId, region);
    if (map.has(name.toLowerCase()))
      throw new AwsApiError('AlreadyExistsException', `Email identity ${name} already exist.`, 400);
    const identity: Identity = { name, type, tags: Array.isArray(tags) ? (tags as Identity['tags']) : [] };
    map.set(name.toLowerCase(), identity);
    return identity;
  }

  function find(req: LocalRequest): Identity {
    const name = identityName(req);
    const identity = scope(req.accountId, regionOf(req)).get(name.toLowerCase());
    if (!identity) throw notFound(`Email identity ${name} does not exist.`);
    return identity;
  }

  function sendEmail(body: Record<string, unknown>, req: LocalRequest) {
    const region = regionOf(req);
    const fromValue = body.FromEmailAddress;
    if (typeof fromValue !== 'string' || fromValue.trim() === '')
      throw badRequest('FromEmailAddress is required.');
    const from = addressOf(fromValue);
    if (/[\r\n]/.test(fromValue) || !ADDRESS.test(from)) throw badRequest(`Illegal address: ${fromValue}`);
    const destination = (body.Destination ?? {}) as Record<string, unknown>;
    const to = addresses(destination.ToAddresses, 'Destination.ToAddresses');
    const cc = addresses(destination.CcAddresses, 'Destination.CcAddresses');
    const bcc = addresses(destination.BccAddresses, 'Destination.BccAddresses');
    const replyTo = addresses(body.ReplyToAddresses, 'ReplyToAddresses');
    const recipients = to.length + cc.length + bcc.length;
    if (recipients === 0) throw badRequest('Missing required field Destination: at least one recipient.');
    if (recipients > MAX_RECIPIENTS) throw badRequest(`Recipient count exceeds ${MAX_RECIPIENTS}.`);
    const content = (body.Content ?? {}) as Record<string, unknown>;
    if (content.Raw !== undefined || content.Template !== undefined) {
      throw badRequest('The local cloud accepts Simple content only (not Raw or Template).');
    }
    const simple = content.Simple as
      | { Subject?: unknown; Body?: { Text?: unknown; Html?: unknown } }
      | undefined;
    if (!simple) throw badRequest('Content.Simple is required.');
    const subject = text(simple.Subject, 'Content.Simple.Subject');
    if (subject === undefined) throw badRequest('Content.Simple.Subject is required.');
    const plain = text(simple.Body?.Text, 'Content.Simple.Body.Text');
    const html = text(simple.Body?.Html, 'Content.Simple.Body.Html');
    if (plain === undefined && html === undefined)
      throw badRequest('Content.Simple.Body needs Text or Html.');
    const verified = scope(req.accountId, region);
    const domain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
    if (!verified.has(from.toLowerCase()) && !verified.has(domain)) {
      throw new AwsApiError(
        'MessageRejected',
        `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${fromValue}`,
        400,
      );
    }
    const tags: Record<string, string> = {};
    for (const tag of (Array.isArray(body.EmailTags) ? body.EmailTags : []) as {
      Name?: unknown;
      Value?: unknown;
    }[]) {
      if (
        typeof tag?.Name !== 'string' ||
        typeof tag.Value !== 'string' ||
        !/^[\w-]{1,256}$/.test(tag.Name) ||
        !/^[\w-]{1,256}$/.test(tag.Value)
      ) {
        throw badRequest('EmailTags names and values may contain only ASCII letters, digits, _ and -.');
      }
      tags[tag.Name] = tag.Value;
    }
    const messageId = `${randomBytes(8).toString('hex')}-${randomUUID()}-000000`;
    sent.push({
      messageId,
      accountId: req.accountId,
      region,
      from: fromValue,
      to,
      cc,
      bcc,
      replyTo,
      subject,
      text: plain ?? '',
      html: html ?? '',
      tags,
      sentAt: new Date(env.now()).toISOString(),
    });
    return { MessageId: messageId };
  }

  const describe = (identity: Identity) => ({
    IdentityType: identity.type,
    FeedbackForwardingStatus: true,
    VerifiedForSendingStatus: true,
    VerificationStatus: 'SUCCESS',
    DkimAttributes: {
      SigningEnabled: false,
      Status: 'NOT_STARTED',
      SigningAttributesOrigin: 'AWS_SES',
      Tokens: [],
    },
    MailFromAttributes: { BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
    Policies: {},
    Tags: identity.tags,
  });

  type Operation = (body: Record<string, unknown>, req: LocalRequest) => unknown;
  const operations: Readonly<Record<string, Operation>> = {
    SendEmail: sendEmail,
    CreateEmailIdentity: (body, req) => {
      const identity = create(req.accountId, regionOf(req), body.EmailIdentity, body.Tags);
      return {
        IdentityType: identity.type,
        VerifiedForSendingStatus: true,
        DkimAttributes: describe(identity).DkimAttributes,
      };
    },
    GetEmailIdentity: (_body, req) => describe(find(req)),
    DeleteEmailIdentity: (_body, req) => {
      const identity = find(req);
      scope(req.accountId, regionOf(req)).delete(identity.name.toLowerCase());
      return {};
    },
    ListEmailIdentities: (body, req) => {
      const rawSize = body.PageSize ?? req.query.get('PageSize');
      const pageSize = rawSize === null || rawSize === undefined ? LIST_PAGE_SIZE : Number(rawSize);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
        throw badRequest('PageSize must be between 1 and 1000.');
      }
      const all = [...scope(req.accountId, regionOf(req)).values()].sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      const page = paginateByOffset(
        all,
        body.NextToken ?? req.query.get('NextToken') ?? undefined,
        pageSize,
        () => badRequest('The NextToken is not valid.'),
      );
      return {
        EmailIdentities: page.items.map((identity) => ({
          IdentityType: identity.type,
          IdentityName: identity.name,
          SendingEnabled: true,
          VerificationStatus: 'SUCCESS',
        })),
        ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }),
      };
    },
  };

  return {
    name: 'ses',
    protocol: 'rest-json',
    operationOf,
    isWrite: (operation) => ['SendEmail', 'CreateEmailIdentity', 'DeleteEmailIdentity'].includes(operation),
    handle(req, operation): LocalResponse {
      const run = operations[operation];
      if (!run) {
        throw new AwsApiError(
          'UnknownOperationException',
          `The local cloud does not emulate ${req.method} ${req.path} of SES.`,
          404,
        );
      }
      const body =
        req.method.toUpperCase() === 'POST'
          ? parseJsonObject(req.body, () => badRequest('The request body is not a JSON object.'))
          : {};
      return jsonResponse('rest-json', run(body, req));
    },
    reset() {
      identities.clear();
      sent = [];
    },
    messages: () => sent.map((mail) => ({ ...mail })),
    verifyIdentity(accountId, region, identity) {
      if (!scope(accountId, region).has(identity.toLowerCase())) create(accountId, region, identity);
    },
  };
}
