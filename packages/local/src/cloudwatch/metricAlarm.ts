import type { AlarmState } from "@sqs-dispatcher/core";

export const ComparisonOperator = {
  GreaterThanOrEqualToThreshold: "GreaterThanOrEqualToThreshold",
  GreaterThanThreshold: "GreaterThanThreshold",
  LessThanThreshold: "LessThanThreshold",
  LessThanOrEqualToThreshold: "LessThanOrEqualToThreshold",
} as const;
export type ComparisonOperator = (typeof ComparisonOperator)[keyof typeof ComparisonOperator];

export const Statistic = {
  SampleCount: "SampleCount",
  Average: "Average",
  Sum: "Sum",
  Minimum: "Minimum",
  Maximum: "Maximum",
} as const;
export type Statistic = (typeof Statistic)[keyof typeof Statistic];

export const TreatMissingData = {
  Missing: "missing",
  Ignore: "ignore",
  Breaching: "breaching",
  NotBreaching: "notBreaching",
} as const;
export type TreatMissingData = (typeof TreatMissingData)[keyof typeof TreatMissingData];

export interface Dimension {
  Name: string;
  Value: string;
}

/** A metric alarm as the local service stores it (the fields of DescribeAlarms' `MetricAlarms`). */
export interface MetricAlarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  /** Epoch ms. */
  AlarmConfigurationUpdatedTimestamp: number;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  StateValue: AlarmState;
  StateReason: string;
  StateReasonData?: string;
  /** Epoch ms. */
  StateUpdatedTimestamp: number;
  /** Epoch ms. */
  StateTransitionedTimestamp: number;
  MetricName: string;
  Namespace: string;
  Statistic: Statistic;
  Dimensions: Dimension[];
  Period: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  TreatMissingData: TreatMissingData;
}

/** AWS's long region names, as alarm notifications carry them in `Region`. */
const regionNames: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "af-south-1": "Africa (Cape Town)",
  "ap-east-1": "Asia Pacific (Hong Kong)",
  "ap-south-1": "Asia Pacific (Mumbai)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
  "ap-northeast-2": "Asia Pacific (Seoul)",
  "ap-northeast-3": "Asia Pacific (Osaka)",
  "ap-southeast-1": "Asia Pacific (Singapore)",
  "ap-southeast-2": "Asia Pacific (Sydney)",
  "ca-central-1": "Canada (Central)",
  "eu-central-1": "EU (Frankfurt)",
  "eu-central-2": "EU (Zurich)",
  "eu-west-1": "EU (Ireland)",
  "eu-west-2": "EU (London)",
  "eu-west-3": "EU (Paris)",
  "eu-north-1": "EU (Stockholm)",
  "eu-south-1": "EU (Milan)",
  "me-south-1": "Middle East (Bahrain)",
  "sa-east-1": "South America (Sao Paulo)",
};

/** The long name of a region ("US East (N. Virginia)"); the code itself when unknown. */
export function regionLongName(region: string): string {
  return regionNames[region] ?? region;
}
