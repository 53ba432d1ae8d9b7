/**
 * The MD5 digests SQS returns with every sent and received message. The AWS SDKs recompute them and throw on
 * a mismatch, so they must be byte-for-byte what SQS computes.
 */
import { createHash } from 'node:crypto';

/** A message attribute as SQS stores it: the declared data type and one of the two values. */
export interface StoredMessageAttribute {
  readonly dataType: string;
  readonly stringValue?: string;
  readonly binaryValue?: Buffer;
}

/** Hex MD5 of the UTF-8 message body (`MD5OfMessageBody` / `MD5OfBody`). */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/**
 * Hex MD5 of message attributes (`MD5OfMessageAttributes`), as documented by SQS: attributes sorted by name;
 * for each, the name, the data type and the value, each prefixed by its 4-byte big-endian length, with a
 * one-byte transport type (1 for String and Number, 2 for Binary) between the data type and the value.
 * Returns undefined when there are no attributes: SQS then omits the field.
 */
export function md5OfMessageAttributes(
  attributes: Readonly<Record<string, StoredMessageAttribute>>,
): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name]!;
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(attribute.dataType, 'utf8')));
    if (attribute.dataType.startsWith('Binary')) {
      hash.update(Buffer.from([2]));
      hash.update(lengthPrefixed(attribute.binaryValue ?? Buffer.alloc(0)));
    } else {
      hash.update(Buffer.from([1]));
      hash.update(lengthPrefixed(Buffer.from(attribute.stringValue ?? '', 'utf8')));
    }
  }
  return hash.digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([length, bytes]);
}
