/**
 * A message is a claim, never an authority (docs/reference.md: Messages): before the worker changes a finding
 * a message named, Security Hub's own record of it must say it is the MFA control finding of the same user in
 * the same account. This is that decision, pure and generation-agnostic: the adapters fetch the
 * {@link FindingFacts}, this compares them with the work item.
 */
import { SECURITY_HUB_PRODUCT, USER_ARN } from './finding-intake.ts';
import { show } from './intake-items.ts';
import type { FindingClaim, FindingFacts } from './ports.ts';

/** What to do with a finding update. */
export type FindingUpdateDecision =
  | { readonly verdict: 'update' }
  | { readonly verdict: 'already-applied' }
  | { readonly verdict: 'not-found' }
  | { readonly verdict: 'skip'; readonly reason: string };

/**
 * Whether the finding Security Hub has (`facts`; undefined = it has none, or several, under that id) may be
 * set to `status` for the work item's `claim`. Security Hub's fields decide, never the message's: its
 * account, its product (Security Hub's own controls only), its control (an MFA control of IAM users), its IAM
 * user resource, its record state (archived findings are left alone) and its workflow (a finding a person
 * suppressed is left as they set it).
 */
export function decideFindingUpdate(
  claim: FindingClaim,
  facts: FindingFacts | undefined,
  status: 'NOTIFIED' | 'RESOLVED',
): FindingUpdateDecision {
  if (!facts) return { verdict: 'not-found' };
  const skip = (reason: string) => ({ verdict: 'skip', reason: `not updated: ${reason}` }) as const;
  if (facts.accountId !== claim.accountId) {
    return skip(`Security Hub has the finding in account ${facts.accountId}, not ${claim.accountId}`);
  }
  if (!SECURITY_HUB_PRODUCT.test(facts.productArn)) {
    return skip(`Security Hub has the finding from product ${show(facts.productArn)}, not a control`);
  }
  if (facts.control.kind !== 'lacks-mfa') {
    const control = facts.control.controlId ? `control ${show(facts.control.controlId)}` : 'no control';
    return skip(`Security Hub has the finding for ${control}, not an MFA control of IAM users`);
  }
  if (!namesUser(facts, claim)) {
    return skip(`Security Hub's finding is not about IAM user ${show(claim.userName ?? claim.userId)}`);
  }
  if (facts.recordState === 'ARCHIVED') return skip('Security Hub has archived (closed) the finding');
  if (facts.workflowStatus === 'SUPPRESSED') {
    return skip('a person suppressed the finding in Security Hub; it is left as they set it');
  }
  if (facts.workflowStatus === status) return { verdict: 'already-applied' };
  return { verdict: 'update' };
}

/** Whether one of the finding's IAM user resources is the claimed user (by ARN, user id, or name). */
function namesUser(facts: FindingFacts, claim: FindingClaim): boolean {
  return facts.resourceIds.some((id) => {
    if (claim.userArn !== undefined && id === claim.userArn) return true;
    if (claim.userId !== undefined && id === claim.userId) return true;
    const arn = USER_ARN.exec(id);
    if (arn) return arn[1] === claim.accountId && arn[2] === claim.userName;
    // A bare name binds no account by itself; the finding's account was checked above.
    return claim.userName !== undefined && id === claim.userName;
  });
}
