/**
 * E-mail addresses the product sends to or from. An address comes from an IAM tag that anyone allowed to tag
 * the user can write, so it is a claim: it is accepted only in the plain `local@domain` form, ASCII, with no
 * white space, quotes, angle brackets, commas or line breaks — nothing that could add a recipient or a header
 * when SES builds the message (docs/reference.md: Person notifications).
 */

/** The local part as the WHATWG "valid e-mail address" allows it: atext characters and dots. */
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** A DNS label: letters, digits and inner hyphens, at most 63 characters. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Why `value` is not an address we send to, or undefined when it is one. Domains need at least two labels
 * and a top-level label that is not all digits (SES does not deliver to `user@localhost` or an IP literal).
 */
export function emailAddressProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 254) return 'is longer than 254 characters';
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return 'is not of the form name@domain';
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > 64) return 'has a local part longer than 64 characters';
  if (!LOCAL.test(local)) return 'has characters an e-mail address cannot contain before the @';
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    return 'has a domain that is not a host name';
  }
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return 'has a domain that is not a host name';
  return undefined;
}

/** Whether `value` is an address we send to (see {@link emailAddressProblem}). */
export function isEmailAddress(value: string): boolean {
  return emailAddressProblem(value) === undefined;
}

/** The domain of a valid address, lower-cased (SES identities are case-insensitive). */
export function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
