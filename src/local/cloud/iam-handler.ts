/** The shape of one IAM operation's implementation, shared by the `iam-*.ts` operation modules. */
import type { CallerIdentity } from './credentials.ts';
import type { IamAccount, IamUser, ManagedPolicy, Tag, TagSet } from './iam-state.ts';
import { tagList } from './iam-state.ts';
import type { QueryInput } from './query-input.ts';
import type { XmlValue } from './query-protocol.ts';

export interface IamContext {
  readonly params: QueryInput;
  /** The caller's account's IAM state. */
  readonly account: IamAccount;
  /** The environment clock, read once per request. */
  readonly now: Date;
  readonly caller: CallerIdentity;
  /** The unique id of a role or user named by ARN in any account (trust policies name existing principals). */
  readonly resolvePrincipal: (principalArn: string) => string | undefined;
}

/**
 * Runs one operation and returns the content of its `<ActionResult>` element, or `undefined` for operations
 * without output (AWS then sends no Result element).
 */
export type IamHandler = (ctx: IamContext) => XmlValue | Promise<XmlValue>;

/** The `User` structure. ListUsers leaves tags out (AWS returns them from GetUser only). */
export function userXml(user: IamUser, options: { withTags?: boolean } = {}): XmlValue {
  return {
    Path: user.path,
    UserName: user.userName,
    UserId: user.userId,
    Arn: user.arn,
    CreateDate: user.createDate,
    Tags: options.withTags && user.tags.size > 0 ? tagsXml(user.tags) : undefined,
  };
}

export function tagsXml(tags: TagSet | readonly Tag[]): XmlValue {
  const list = tags instanceof Map ? tagList(tags) : tags;
  return list.map((t) => ({ Key: t.Key, Value: t.Value }));
}

/** The `Policy` structure; `attachmentCount` is counted by the caller (users holding the policy). */
export function policyXml(policy: ManagedPolicy, attachmentCount: number): XmlValue {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: 'v1',
    AttachmentCount: attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: policy.description,
    CreateDate: policy.createDate,
    UpdateDate: policy.createDate,
    Tags: policy.tags.size > 0 ? tagsXml(policy.tags) : undefined,
  };
}

/** The `IsTruncated` / `Marker` members of a paginated result. */
export function pageXml(page: { isTruncated: boolean; marker?: string }): {
  IsTruncated: boolean;
  Marker?: string;
} {
  return page.marker === undefined
    ? { IsTruncated: page.isTruncated }
    : { IsTruncated: page.isTruncated, Marker: page.marker };
}
