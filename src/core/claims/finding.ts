/**
 * Is the finding a message names really the MFA control finding of the user the item is about? The message
 * may say anything — any `Id`, any control, any account — so the answer comes only from what Security Hub
 * itself says about that finding ({@link FindingFacts}), compared with the user the workflow acts on
 * (docs/reference.md: Claims and verification). The worker updates a finding only when this says yes.
 */
import { bySecurityControl } from '../controls.ts';
import { SECURITY_HUB_PRODUCT, USER_ARN } from '../finding-intake.ts';
import { show } from '../intake-items.ts';
import type { FindingGeneration, FindingRef } from '../model.ts';
import { SECURITY_HUB_PRODUCT_V2 } from '../ocsf/schema.ts';
import type { FindingFacts } from '../ports.ts';

/** The user a finding must be about: the account and name the workflow acts on. */
export interface FindingSubject {
  readonly accountId: string;
  readonly userName: string;
  /** IAM's unique id of the user (`AIDA…`), when IAM told the workflow (a Config item names users by it). */
  readonly userId?: string;
}

/** The verdict on one finding: its facts when it verifies, else why not (a sentence for the outcome). */
export type FindingVerdict =
  | { readonly verified: true; readonly facts: FindingFacts }
  | { readonly verified: false; readonly reason: string };

/**
 * The products whose findings are Security Hub's own control findings, per generation. Any product can
 * import a finding that claims an MFA control (BatchImportFindings), so only these are trusted to mean one.
 */
export const SECURITY_HUB_PRODUCTS: Readonly<Record<FindingGeneration, RegExp>> = {
  asff: SECURITY_HUB_PRODUCT,
  ocsf: SECURITY_HUB_PRODUCT_V2,
};

/**
 * Decides whether `facts` (what Security Hub says about `ref`, or undefined when it knows no such finding)
 * make the finding the MFA control finding of `subject`: Security Hub's own finding, in the user's account,
 * of IAM.5 / IAM.19 (or a standard's twin of them), about that very user, ACTIVE, and not suppressed by a
 * person. Pure: no I/O, the same answer for the same inputs.
 */
export function verifyFinding(
  ref: FindingRef,
  facts: FindingFacts | undefined,
  subject: FindingSubject,
): FindingVerdict {
  const id = show(ref.id);
  const refuse = (why: string): FindingVerdict => ({ verified: false, reason: `finding ${id} ${why}` });
  if (!facts) return refuse('is not known to Security Hub under that product');
  if (facts.generation !== ref.generation || facts.id !== ref.id || facts.productArn !== ref.productArn) {
    return refuse('is not the finding Security Hub returned');
  }
  if (!SECURITY_HUB_PRODUCTS[facts.generation].test(facts.productArn)) {
    return refuse(`comes from product ${show(facts.productArn)}, not from a Security Hub control`);
  }
  if (facts.accountId !== subject.accountId) {
    return refuse(`belongs to account ${show(facts.accountId)}, not to ${subject.accountId}`);
  }
  const control = facts.controlId === undefined ? undefined : bySecurityControl(facts.controlId);
  if (control?.kind !== 'lacks-mfa') {
    const named = facts.controlId === undefined ? 'no control' : `control ${show(facts.controlId)}`;
    return refuse(`is about ${named}, not an MFA control of IAM users`);
  }
  if (!facts.resourceIds.some((resourceId) => isUser(resourceId, subject))) {
    return refuse(`is not about IAM user ${subject.userName} of account ${subject.accountId}`);
  }
  if (facts.recordState !== 'ACTIVE') {
    return refuse(`is ${show(facts.recordState ?? 'not ACTIVE')} in Security Hub`);
  }
  if (facts.workflowStatus === 'SUPPRESSED') {
    return refuse('is suppressed in Security Hub; a person decided it does not matter');
  }
  return { verified: true, facts };
}

/**
 * Whether a resource id is the subject: its ARN (same account, same name: names are unique per account), or
 * the user's unique id as IAM reported it (the finding's account was checked before).
 */
function isUser(resourceId: string, subject: FindingSubject): boolean {
  if (subject.userId !== undefined && resourceId === subject.userId) return true;
  const arn = USER_ARN.exec(resourceId);
  return arn !== null && arn[1] === subject.accountId && arn[2] === subject.userName;
}
