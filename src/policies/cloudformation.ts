/**
 * Turns a plain IAM policy document into one CloudFormation deploys unchanged in any partition.
 *
 * Two things in a policy string clash with template tooling: IAM policy variables (`${aws:username}`), which
 * the Serverless Framework would try to resolve as its own `${aws:…}` variables and fail, and the hard-coded
 * `arn:aws:` partition, wrong in GovCloud and China. Such strings become `Fn::Sub` with policy variables
 * escaped as `${!…}` (Fn::Sub emits them literally) and the partition as `${AWS::Partition}`.
 */
export type CloudFormationValue =
  | string
  | number
  | boolean
  | null
  | { readonly 'Fn::Sub': string }
  | readonly CloudFormationValue[]
  | { readonly [key: string]: CloudFormationValue };

const ARN_PARTITION = /(^|[^\w-])arn:aws:/;

function convertString(value: string): CloudFormationValue {
  if (!value.includes('${') && !ARN_PARTITION.test(value)) return value;
  const escaped = value
    .replaceAll('${', '${!')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
    .replace(new RegExp(ARN_PARTITION, 'g'), '$1arn:${AWS::Partition}:');
  return { 'Fn::Sub': escaped };
}

/** Deep copy of a JSON value with every string that needs it wrapped in `Fn::Sub` (see the module comment). */
export function asCloudFormation(value: unknown): CloudFormationValue {
  if (typeof value === 'string') return convertString(value);
  if (Array.isArray(value)) return value.map(asCloudFormation);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, asCloudFormation(inner)]));
  }
  return value as CloudFormationValue;
}
