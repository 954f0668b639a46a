import { z } from "zod";

/** The states a CloudWatch alarm can be in (the values of `NewStateValue` / `OldStateValue`). */
export const AlarmState = {
  Ok: "OK",
  Alarm: "ALARM",
  InsufficientData: "INSUFFICIENT_DATA",
} as const;
export type AlarmState = (typeof AlarmState)[keyof typeof AlarmState];

const alarmStateSchema = z.enum([AlarmState.Ok, AlarmState.Alarm, AlarmState.InsufficientData]);

/** `arn:aws:cloudwatch:us-east-1:123456789012:alarm:name` (partition may be aws-cn, aws-us-gov, ...). */
const alarmArnPattern = /^arn:aws[\w-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/;

const dimensionSchema = z.looseObject({ name: z.string(), value: z.string() });

/**
 * The JSON that CloudWatch publishes to SNS when an alarm changes state (the SNS `Message`).
 * Tolerant of the many fields AWS adds (Region, OKActions, Trigger.Period, ...), strict on
 * what scaling needs: the transition, the account, the alarm ARN (which carries the region)
 * and the `QueueName` dimension.
 *
 * @example
 * ```ts
 * const notification = alarmNotificationSchema.parse(JSON.parse(record.Sns.Message));
 * ```
 */
export const alarmNotificationSchema = z
  .looseObject({
    AlarmName: z.string().min(1),
    AWSAccountId: z.string().regex(/^\d{12}$/, "must be a 12-digit account id"),
    NewStateValue: alarmStateSchema,
    OldStateValue: alarmStateSchema,
    StateChangeTime: z.string().min(1),
    AlarmArn: z.string().regex(alarmArnPattern, "must be a CloudWatch alarm ARN"),
    Trigger: z.looseObject({
      MetricName: z.string().optional(),
      Namespace: z.string().optional(),
      Dimensions: z.array(dimensionSchema).default([]),
    }),
  })
  .superRefine((n, ctx) => {
    const match = alarmArnPattern.exec(n.AlarmArn);
    if (match && match[2] !== n.AWSAccountId) {
      ctx.addIssue({
        code: "custom",
        path: ["AlarmArn"],
        message: `names account ${match[2]}, but AWSAccountId is ${n.AWSAccountId}`,
      });
    }
    if (!n.Trigger.Dimensions.some((d) => d.name === "QueueName")) {
      ctx.addIssue({
        code: "custom",
        path: ["Trigger", "Dimensions"],
        message: "has no QueueName dimension",
      });
    }
  });
export type AlarmNotification = z.infer<typeof alarmNotificationSchema>;

/** What a notification says about which queue changed, in which account and region. */
export interface AlarmSubject {
  queueName: string;
  accountId: string;
  region: string;
  alarmName: string;
  alarmArn: string;
}

/** Reads the queue, account and region out of a validated notification. */
export function alarmSubjectOf(notification: AlarmNotification): AlarmSubject {
  const match = alarmArnPattern.exec(notification.AlarmArn);
  const queueName = notification.Trigger.Dimensions.find((d) => d.name === "QueueName")?.value;
  // The schema guarantees both; this guards against a caller passing an unvalidated object.
  if (!match || queueName === undefined) throw new Error("alarm notification was not validated");
  return {
    queueName,
    accountId: notification.AWSAccountId,
    region: match[1]!,
    alarmName: notification.AlarmName,
    alarmArn: notification.AlarmArn,
  };
}

/**
 * The key under which one delivered transition is remembered, so a duplicate delivery
 * (SNS and async Lambda are at-least-once) scales once.
 */
export function transitionKey(notification: AlarmNotification): string {
  return `${notification.AlarmArn}|${notification.StateChangeTime}|${notification.NewStateValue}`;
}
