/**
 * Who may import a finding, and the product attributes Security Hub fills in. With the default product ARN
 * (`arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`, a custom integration) the caller must be that
 * account, and so must the finding's `AwsAccountId` (docs: BatchImportFindings). Findings of AWS's own
 * products (`product/aws/…`) are accepted from any caller: the local cloud stands in for the AWS service that
 * generates them. Security Hub sets `ProductName` and `CompanyName` (and their `aws/securityhub/…` product
 * fields) itself, except that a custom integration may name its own.
 */
import type { Finding } from './securityhub-filters.ts';

const DEFAULT_PRODUCT = /^arn:aws:securityhub:[a-z0-9-]+:(\d{12}):product\/(\d{12})\/default$/;
const AWS_PRODUCT = /^arn:aws:securityhub:[a-z0-9-]+::product\/aws\/([a-z0-9-]+)$/;

/** Names of AWS's integrated products, as Security Hub reports them. */
const AWS_PRODUCTS: Readonly<Record<string, string>> = {
  securityhub: 'Security Hub',
  guardduty: 'GuardDuty',
  inspector: 'Inspector',
  macie: 'Macie',
  config: 'Config',
  'access-analyzer': 'IAM Access Analyzer',
  'firewall-manager': 'Firewall Manager',
  health: 'Health',
  'ssm-patch-manager': 'Systems Manager Patch Manager',
};

/** Why the caller may not import this finding (a FailedFindings entry), or undefined. */
export function importRefusal(
  finding: Finding,
  callerAccountId: string,
): { ErrorCode: string; ErrorMessage: string } | undefined {
  const productArn = finding.ProductArn as string;
  const custom = DEFAULT_PRODUCT.exec(productArn);
  if (custom) {
    const [, arnAccount, productAccount] = custom;
    if (
      arnAccount === callerAccountId &&
      productAccount === callerAccountId &&
      finding.AwsAccountId === callerAccountId
    ) {
      return undefined;
    }
    return {
      ErrorCode: 'AccessDeniedException',
      ErrorMessage: `Account ${callerAccountId} cannot import findings with product ${productArn} for account ${String(finding.AwsAccountId)}: with the default product ARN, the product, the caller and AwsAccountId must be the same account.`,
    };
  }
  if (AWS_PRODUCT.test(productArn)) return undefined;
  return {
    ErrorCode: 'InvalidInput',
    ErrorMessage: `The product ${productArn} is not enabled for account ${callerAccountId}.`,
  };
}

/** The finding with the product attributes Security Hub fills in. */
export function withProductNames(finding: Finding): Finding {
  const productArn = finding.ProductArn as string;
  const aws = AWS_PRODUCT.exec(productArn);
  const names = aws
    ? { ProductName: AWS_PRODUCTS[aws[1] ?? ''] ?? aws[1] ?? '', CompanyName: 'AWS' }
    : {
        // A custom integration keeps the names it gives; Security Hub's defaults otherwise.
        ProductName: typeof finding.ProductName === 'string' ? finding.ProductName : 'Default',
        CompanyName: typeof finding.CompanyName === 'string' ? finding.CompanyName : 'Personal',
      };
  const fields = (finding.ProductFields ?? {}) as Record<string, string>;
  return {
    ...finding,
    ...names,
    ProductFields: {
      ...fields,
      'aws/securityhub/ProductName': names.ProductName,
      'aws/securityhub/CompanyName': names.CompanyName,
    },
  };
}
