/** The local cloud's public surface: start it, and the helpers emulated services share. */
export type { CallerIdentity, CredentialRegistry, RoleSession } from './credentials.ts';
export { createCredentialRegistry } from './credentials.ts';
export { createLocalCloudEnv, type MutableLocalCloudEnv } from './env.ts';
export { type FaultRule, FaultSpecError, faultStatus, parseFaultSpec } from './faults.ts';
export type { IamAccountSnapshot, IamService, IamUserSnapshot } from './iam.ts';
export { createIamService, IAM_XML_NAMESPACE } from './iam.ts';
export { renderJsonError, targetOperation } from './json-protocol.ts';
export {
  escapeXml,
  memberList,
  memberStructs,
  parseQueryBody,
  queryAction,
  queryParams,
  RawXml,
  renderQueryError,
  toXml,
  type XmlValue,
  xmlMap,
  xmlResponse,
} from './query-protocol.ts';
export { renderError } from './render-error.ts';
export { type SeededUser, type SeedRequest, type SeedResult, seedAccount } from './seed.ts';
export { type LocalCloud, type LocalCloudOptions, startLocalCloud } from './server.ts';
export type { LocalCloudStats } from './stats.ts';
export { createStsService, STS_XML_NAMESPACE } from './sts.ts';
