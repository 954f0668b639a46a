import { AlarmState } from "@sqs-dispatcher/core";
import { CloudWatchError, WireTimestamp } from "./cloudWatchWire.js";
import {
  ComparisonOperator,
  type Dimension,
  type MetricAlarm,
  Statistic,
  TreatMissingData,
} from "./metricAlarm.js";

/** A state change that alarm actions must hear about. */
export interface AlarmTransition {
  alarm: MetricAlarm;
  oldState: AlarmState;
}

export interface AlarmStoreOptions {
  region: string;
  accountId: string;
  now: () => number;
}

const states = new Set<string>(Object.values(AlarmState));
const operators = new Set<string>(Object.values(ComparisonOperator));
const statistics = new Set<string>(Object.values(Statistic));
const treatments = new Set<string>(Object.values(TreatMissingData));

function str(input: Record<string, unknown>, key: string, required: true): string;
function str(input: Record<string, unknown>, key: string, required?: false): string | undefined;
function str(input: Record<string, unknown>, key: string, required = false): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required)
      throw new CloudWatchError("MissingRequiredParameterException", `The parameter ${key} is required.`);
    return undefined;
  }
  if (typeof v !== "string")
    throw new CloudWatchError("InvalidParameterValueException", `The parameter ${key} must be a string.`);
  return v;
}

function num(input: Record<string, unknown>, key: string, required: true): number;
function num(input: Record<string, unknown>, key: string, required?: false): number | undefined;
function num(input: Record<string, unknown>, key: string, required = false): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required)
      throw new CloudWatchError("MissingRequiredParameterException", `The parameter ${key} is required.`);
    return undefined;
  }
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n))
    throw new CloudWatchError("InvalidParameterValueException", `The parameter ${key} must be a number.`);
  return n;
}

function strings(input: Record<string, unknown>, key: string, max: number): string[] {
  const v = input[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new CloudWatchError(
      "InvalidParameterValueException",
      `The parameter ${key} must be a list of strings.`,
    );
  }
  if (v.length > max) {
    throw new CloudWatchError(
      "InvalidParameterValueException",
      `The collection ${key} must not have a size greater than ${max}.`,
    );
  }
  return v as string[];
}

/**
 * The alarms of one account and region, with CloudWatch's validation and paging.
 * Only metric alarms on a single metric with a standard statistic are supported
 * (no metric math, percentiles or anomaly detection): those are refused with
 * `InvalidParameterValueException` rather than silently never evaluated.
 */
export class AlarmStore {
  private readonly alarms = new Map<string, MetricAlarm>();

  constructor(private readonly options: AlarmStoreOptions) {}

  list(): MetricAlarm[] {
    return [...this.alarms.values()];
  }

  get(name: string): MetricAlarm | undefined {
    return this.alarms.get(name);
  }

  putMetricAlarm(input: Record<string, unknown>): void {
    const name = str(input, "AlarmName", true);
    if (name.length < 1 || name.length > 255) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "The parameter AlarmName must be 1 to 255 characters.",
      );
    }
    if (input["Metrics"] !== undefined || input["ThresholdMetricId"] !== undefined) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "Metric math alarms are not supported by the local cloud.",
      );
    }
    if (input["ExtendedStatistic"] !== undefined) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "Percentile statistics are not supported by the local cloud.",
      );
    }
    const metricName = str(input, "MetricName", true);
    const namespace = str(input, "Namespace", true);
    const statistic = str(input, "Statistic", true);
    if (!statistics.has(statistic)) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        `The parameter Statistic must be one of ${[...statistics].join(", ")}.`,
      );
    }
    const period = num(input, "Period", true);
    if (
      !Number.isInteger(period) ||
      !(period === 10 || period === 20 || period === 30 || (period >= 60 && period % 60 === 0))
    ) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "The parameter Period must be 10, 20, 30 or a multiple of 60.",
      );
    }
    const evaluationPeriods = num(input, "EvaluationPeriods", true);
    if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "The parameter EvaluationPeriods must be at least 1.",
      );
    }
    if (period * evaluationPeriods > 7 * 86_400) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "Period * EvaluationPeriods must not exceed 7 days.",
      );
    }
    const datapointsToAlarm = num(input, "DatapointsToAlarm");
    if (datapointsToAlarm !== undefined && (datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods)) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "The parameter DatapointsToAlarm must be between 1 and EvaluationPeriods.",
      );
    }
    const operator = str(input, "ComparisonOperator", true);
    if (!operators.has(operator)) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        `The parameter ComparisonOperator must be one of ${[...operators].join(", ")} (anomaly detection is not supported locally).`,
      );
    }
    const threshold = num(input, "Threshold", true);
    const treat = str(input, "TreatMissingData") ?? TreatMissingData.Missing;
    if (!treatments.has(treat)) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        `The parameter TreatMissingData must be one of ${[...treatments].join(", ")}.`,
      );
    }
    const rawDimensions = input["Dimensions"] ?? [];
    if (!Array.isArray(rawDimensions) || rawDimensions.length > 30) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "The parameter Dimensions must be a list of at most 30.",
      );
    }
    const dimensions: Dimension[] = rawDimensions.map((d: unknown) => {
      const dim = (d ?? {}) as Record<string, unknown>;
      return { Name: str(dim, "Name", true), Value: str(dim, "Value", true) };
    });
    const actions = (key: string) => strings(input, key, 5);

    const now = this.options.now();
    const existing = this.alarms.get(name);
    const description = str(input, "AlarmDescription");
    const unit = str(input, "Unit");
    const datapoints = datapointsToAlarm === undefined ? {} : { DatapointsToAlarm: datapointsToAlarm };
    // AWS keeps the state of an updated alarm and overwrites its whole configuration.
    this.alarms.set(name, {
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:${this.options.region}:${this.options.accountId}:alarm:${name}`,
      ...(description !== undefined && { AlarmDescription: description }),
      AlarmConfigurationUpdatedTimestamp: now,
      ActionsEnabled: input["ActionsEnabled"] === undefined ? true : input["ActionsEnabled"] === true,
      OKActions: actions("OKActions"),
      AlarmActions: actions("AlarmActions"),
      InsufficientDataActions: actions("InsufficientDataActions"),
      StateValue: existing?.StateValue ?? AlarmState.InsufficientData,
      StateReason: existing?.StateReason ?? "Unchecked: Initial alarm creation",
      ...(existing?.StateReasonData !== undefined && { StateReasonData: existing.StateReasonData }),
      StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? now,
      StateTransitionedTimestamp: existing?.StateTransitionedTimestamp ?? now,
      MetricName: metricName,
      Namespace: namespace,
      Statistic: statistic as Statistic,
      Dimensions: dimensions,
      Period: period,
      ...(unit !== undefined && { Unit: unit }),
      EvaluationPeriods: evaluationPeriods,
      ...datapoints,
      Threshold: threshold,
      ComparisonOperator: operator as ComparisonOperator,
      TreatMissingData: treat as TreatMissingData,
    });
  }

  describeAlarms(input: Record<string, unknown>): Record<string, unknown> {
    const names = strings(input, "AlarmNames", 100);
    const prefix = str(input, "AlarmNamePrefix");
    if (names.length > 0 && prefix !== undefined) {
      throw new CloudWatchError(
        "InvalidParameterCombinationException",
        "AlarmNames and AlarmNamePrefix cannot be specified together.",
      );
    }
    const stateValue = str(input, "StateValue");
    if (stateValue !== undefined && !states.has(stateValue)) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        `The parameter StateValue must be one of ${[...states].join(", ")}.`,
      );
    }
    const actionPrefix = str(input, "ActionPrefix");
    const types = strings(input, "AlarmTypes", 2);
    const maxRecords = num(input, "MaxRecords") ?? 50;
    if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > 100) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        "The parameter MaxRecords must be between 1 and 100.",
      );
    }
    const token = str(input, "NextToken");
    // Composite alarms do not exist locally: asking only for them yields none.
    const wantMetric = types.length === 0 || types.includes("MetricAlarm");
    const matching = [...this.alarms.values()]
      .filter(() => wantMetric)
      .filter((a) => names.length === 0 || names.includes(a.AlarmName))
      .filter((a) => prefix === undefined || a.AlarmName.startsWith(prefix))
      .filter((a) => stateValue === undefined || a.StateValue === stateValue)
      .filter(
        (a) =>
          actionPrefix === undefined ||
          [...a.AlarmActions, ...a.OKActions, ...a.InsufficientDataActions].some((x) =>
            x.startsWith(actionPrefix),
          ),
      )
      .sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : a.AlarmName > b.AlarmName ? 1 : 0));
    let start = 0;
    if (token !== undefined) {
      // The token is the last name returned: stable under deletes between pages.
      const after = Buffer.from(token, "base64url").toString("utf8");
      if (!token || after === "")
        throw new CloudWatchError("InvalidNextToken", "The service found NextToken to be invalid.");
      start = matching.findIndex((a) => a.AlarmName > after);
      if (start === -1) start = matching.length;
    }
    const page = matching.slice(start, start + maxRecords);
    const more = start + maxRecords < matching.length;
    const last = page.at(-1);
    return {
      MetricAlarms: page.map(toWire),
      CompositeAlarms: [],
      ...(more && last && { NextToken: Buffer.from(last.AlarmName, "utf8").toString("base64url") }),
    };
  }

  deleteAlarms(input: Record<string, unknown>): void {
    const names = strings(input, "AlarmNames", 100);
    const missing = names.filter((n) => !this.alarms.has(n));
    // AWS deletes nothing when any name is wrong.
    if (missing.length > 0) {
      throw new CloudWatchError(
        "ResourceNotFound",
        `${missing.length === 1 ? "Alarm" : "Alarms"} not found: [${missing.join(", ")}]`,
        404,
      );
    }
    for (const n of names) this.alarms.delete(n);
  }

  /** Forces a state; returns the transition when the state changed (actions run only then, as on AWS). */
  setAlarmState(input: Record<string, unknown>): AlarmTransition | undefined {
    const name = str(input, "AlarmName", true);
    const stateValue = str(input, "StateValue", true);
    const reason = str(input, "StateReason", true);
    const reasonData = str(input, "StateReasonData");
    if (!states.has(stateValue)) {
      throw new CloudWatchError(
        "InvalidParameterValueException",
        `The parameter StateValue must be one of ${[...states].join(", ")}.`,
      );
    }
    if (reasonData !== undefined) {
      try {
        JSON.parse(reasonData);
      } catch {
        throw new CloudWatchError("InvalidFormatFault", "StateReasonData must be JSON.");
      }
    }
    if (!this.alarms.has(name)) throw new CloudWatchError("ResourceNotFound", `Alarm ${name} not found`, 404);
    return this.transition(name, stateValue as AlarmState, reason, reasonData);
  }

  /** Records a new state; the transition when it differs from the current one. */
  transition(
    name: string,
    state: AlarmState,
    reason: string,
    reasonData?: string,
  ): AlarmTransition | undefined {
    const alarm = this.alarms.get(name);
    if (!alarm) return undefined;
    const now = this.options.now();
    const oldState = alarm.StateValue;
    alarm.StateReason = reason;
    if (reasonData !== undefined) alarm.StateReasonData = reasonData;
    else delete alarm.StateReasonData;
    alarm.StateUpdatedTimestamp = now;
    if (oldState === state) return undefined;
    alarm.StateValue = state;
    alarm.StateTransitionedTimestamp = now;
    return { alarm: { ...alarm }, oldState };
  }
}

function toWire(alarm: MetricAlarm): Record<string, unknown> {
  return {
    ...alarm,
    AlarmConfigurationUpdatedTimestamp: new WireTimestamp(alarm.AlarmConfigurationUpdatedTimestamp),
    StateUpdatedTimestamp: new WireTimestamp(alarm.StateUpdatedTimestamp),
    StateTransitionedTimestamp: new WireTimestamp(alarm.StateTransitionedTimestamp),
  };
}
