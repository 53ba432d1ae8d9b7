/**
 * The stack's CloudWatch dashboard (docs/reference.md: Metrics), written once here with the metric names of
 * `src/core/metrics/names.ts` and rendered by `scripts/render-policies.ts` into `deploy/dashboard.json` as an
 * `Fn::Sub` string (a dashboard body is a JSON string; `${…}` are the stack's region, functions, queues and
 * alarms), which `serverless.yml` embeds.
 */
import { METRICS, METRICS_NAMESPACE, OUTCOME_DIMENSION } from '../core/metrics/names.ts';
import { OUTCOMES } from '../core/model.ts';

/** Logical IDs of the central stack's resources the dashboard shows. */
export const DASHBOARD_RESOURCES = {
  remediateFunction: 'RemediateLambdaFunction',
  sweepFunction: 'SweepLambdaFunction',
  remediationQueue: 'RemediationQueue',
  deadLetterQueue: 'DeadLetterQueue',
  alarms: [
    'FailedOutcomesAlarm',
    'RemediateErrorsAlarm',
    'SweepErrorsAlarm',
    'FunctionThrottlesAlarm',
    'AwsThrottlesAlarm',
    'DeadLetterAlarm',
    'DeadLetterAgeAlarm',
    'NotificationFailuresAlarm',
  ],
} as const;

// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
const REGION = '${AWS::Region}';
const ref = (logicalId: string) => `\${${logicalId}}`;
const att = (logicalId: string, attribute: string) => `\${${logicalId}.${attribute}}`;

type Widget = Record<string, unknown>;

function metricWidget(
  position: { x: number; y: number; width: number; height: number },
  title: string,
  metrics: unknown[][],
  extra: Record<string, unknown> = {},
): Widget {
  return {
    type: 'metric',
    ...position,
    properties: { title, region: REGION, view: 'timeSeries', period: 3600, stat: 'Sum', metrics, ...extra },
  };
}

const lambda = (metric: string, fn: string, stat = 'Sum') => [
  'AWS/Lambda',
  metric,
  'FunctionName',
  ref(fn),
  { stat, label: `${fn === DASHBOARD_RESOURCES.remediateFunction ? 'remediate' : 'sweep'} ${metric}` },
];
const queue = (metric: string, logicalId: string, label: string) => [
  'AWS/SQS',
  metric,
  'QueueName',
  att(logicalId, 'QueueName'),
  { stat: 'Maximum', label },
];

/** The dashboard body, before CloudFormation substitutes the `${…}` references. */
export function dashboardBody(): Record<string, unknown> {
  const widgets: Widget[] = [
    {
      type: 'text',
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown: `## mfa-remediation\nOutcomes, retries, notifications and time to remediate (namespace \`${METRICS_NAMESPACE}\`), with the functions and queues behind them. \`mfa-remediation report\` shows the campaign per account.`,
      },
    },
    metricWidget(
      { x: 0, y: 2, width: 12, height: 7 },
      'Outcomes per hour',
      OUTCOMES.map((outcome) => [METRICS_NAMESPACE, METRICS.outcomes, OUTCOME_DIMENSION, outcome]),
      { stacked: true },
    ),
    metricWidget(
      { x: 12, y: 2, width: 12, height: 7 },
      'Time to remediate (hours, first detection to MFA)',
      [
        [{ expression: 'm1/3600', label: 'average', id: 'e1' }],
        [{ expression: 'm2/3600', label: 'p90', id: 'e2' }],
        [METRICS_NAMESPACE, METRICS.timeToRemediate, { id: 'm1', stat: 'Average', visible: false }],
        [METRICS_NAMESPACE, METRICS.timeToRemediate, { id: 'm2', stat: 'p90', visible: false }],
      ],
      { period: 86400, yAxis: { left: { label: 'hours', min: 0 } } },
    ),
    metricWidget({ x: 0, y: 9, width: 8, height: 6 }, 'Retries and throttles', [
      [METRICS_NAMESPACE, METRICS.tier1Retries, { label: 'tier 1 (in-process IAM conflicts)' }],
      [METRICS_NAMESPACE, METRICS.tier2Retries, { label: 'tier 2 (back to SQS)' }],
      [METRICS_NAMESPACE, METRICS.throttles, { label: 'AWS throttling after SDK retries' }],
      [METRICS_NAMESPACE, METRICS.iamThrottles, { label: 'IAM requests throttled (SDK retried them)' }],
    ]),
    metricWidget({ x: 8, y: 9, width: 8, height: 6 }, 'Person notifications', [
      [METRICS_NAMESPACE, METRICS.notificationsSent, { label: 'sent' }],
      [METRICS_NAMESPACE, METRICS.notificationFailures, { label: 'failed' }],
    ]),
    metricWidget({ x: 16, y: 9, width: 8, height: 6 }, 'Failed outcomes', [
      [METRICS_NAMESPACE, METRICS.outcomes, OUTCOME_DIMENSION, 'failed', { label: 'failed' }],
      [METRICS_NAMESPACE, METRICS.outcomes, OUTCOME_DIMENSION, 'rejected', { label: 'rejected' }],
      [
        METRICS_NAMESPACE,
        METRICS.outcomes,
        OUTCOME_DIMENSION,
        'manual-action-required',
        { label: 'manual action' },
      ],
    ]),
    metricWidget(
      { x: 0, y: 15, width: 12, height: 6 },
      'Functions',
      [
        lambda('Errors', DASHBOARD_RESOURCES.remediateFunction),
        lambda('Throttles', DASHBOARD_RESOURCES.remediateFunction),
        lambda('Errors', DASHBOARD_RESOURCES.sweepFunction),
        lambda('Throttles', DASHBOARD_RESOURCES.sweepFunction),
        lambda('Duration', DASHBOARD_RESOURCES.remediateFunction, 'p95'),
      ],
      { period: 300 },
    ),
    metricWidget(
      { x: 12, y: 15, width: 12, height: 6 },
      'Queues',
      [
        queue(
          'ApproximateNumberOfMessagesVisible',
          DASHBOARD_RESOURCES.remediationQueue,
          'remediation: waiting',
        ),
        queue(
          'ApproximateNumberOfMessagesVisible',
          DASHBOARD_RESOURCES.deadLetterQueue,
          'dead-letter: waiting',
        ),
        queue(
          'ApproximateAgeOfOldestMessage',
          DASHBOARD_RESOURCES.deadLetterQueue,
          'dead-letter: oldest (s)',
        ),
      ],
      { period: 300 },
    ),
    {
      type: 'alarm',
      x: 0,
      y: 21,
      width: 24,
      height: 3,
      properties: {
        title: 'Alarms',
        alarms: DASHBOARD_RESOURCES.alarms.map((alarm) => att(alarm, 'Arn')),
      },
    },
  ];
  return { start: '-P7D', periodOverride: 'inherit', widgets };
}

/** The dashboard as CloudFormation embeds it: one `Fn::Sub` string. */
export function dashboardCloudFormation(): { readonly 'Fn::Sub': string } {
  return { 'Fn::Sub': JSON.stringify(dashboardBody()) };
}
