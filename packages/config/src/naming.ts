/** Names of the functions the platform itself deploys; a registry function may not take one. */
export const PlatformFunction = {
  Poller: "poller",
  Restart: "restart",
  ScaleUp: "scale-up",
  ScaleDown: "scale-down",
  AdminApi: "admin-api",
} as const;
export type PlatformFunction = (typeof PlatformFunction)[keyof typeof PlatformFunction];

const maxLambdaNameLength = 64;

/** FNV-1a, 32 bit: a short stable suffix without pulling a crypto module into Lambda bundles. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(7, "0");
}

/** `full`, or past Lambda's 64-character limit cut and given a hash suffix (unique and stable). */
function cutToLimit(full: string): string {
  if (full.length <= maxLambdaNameLength) return full;
  const suffix = shortHash(full);
  return `${full.slice(0, maxLambdaNameLength - suffix.length - 1)}-${suffix}`;
}

/**
 * The physical name on AWS of a function or table of a stage: `<app>-<stage>-<name>`.
 * The SST stack names resources with it and the CLI resolves registry names with it;
 * names past Lambda's 64-character limit are cut and given a hash suffix so they stay
 * unique and stable.
 *
 * @example awsResourceName("shop", "prod", "record") // "shop-prod-record"
 */
export function awsResourceName(app: string, stage: string, name: string): string {
  return cutToLimit(`${stageAlarmNamePrefix(app, stage)}${name}`);
}

/**
 * What every name of a stage starts with, `<app>-<stage>-`: the `AlarmNamePrefix` that narrows
 * `DescribeAlarms` to a stage's alarms. It also matches stages whose name starts with this one's
 * (`app-dev-` matches `app-dev-alice-…`), so a reader keeps only the names {@link isStageTierAlarm}
 * accepts.
 */
export function stageAlarmNamePrefix(app: string, stage: string): string {
  return `${app}-${stage}-`;
}

function tierAlarmNameAfter(prefix: string, queueName: string, tier: number): string {
  return cutToLimit(`${prefix}${queueName}-depth-${tier}`);
}

/**
 * The name of a route tier's CloudWatch alarm on a stage: `<app>-<stage>-<queue>-depth-<tier>`
 * (tiers count from 1), cut as {@link awsResourceName} cuts. The SST stack and the local deploy
 * name alarms with it, the scale-topic policy lists exactly these, readers recognise a stage's alarms
 * by it, and the scale functions accept a notification only for the name this gives for the queue the
 * alarm watches, so another stage's alarms (`prod-eu` next to `prod`) never match.
 *
 * @example tierAlarmName("shop", "prod", "orders", 1) // "shop-prod-orders-depth-1"
 */
export function tierAlarmName(app: string, stage: string, queueName: string, tier: number): string {
  return tierAlarmNameAfter(stageAlarmNamePrefix(app, stage), queueName, tier);
}

/** How many tiers {@link isStageTierAlarm} tries for a cut name; no route has near this many alarms. */
const maxCutTierSearch = 1_000;

/**
 * Whether `alarmName` is the name the stage whose prefix is `stagePrefix` ({@link stageAlarmNamePrefix})
 * gives a tier alarm of `queueName` (the alarm's `QueueName` dimension): exactly {@link tierAlarmName}
 * for some tier, not merely a name that starts with the prefix.
 *
 * @example
 * isStageTierAlarm("shop-dev-", "orders", "shop-dev-orders-depth-1") // true
 * isStageTierAlarm("shop-dev-", "orders", "shop-dev-alice-orders-depth-1") // false: stage dev-alice
 */
export function isStageTierAlarm(stagePrefix: string, queueName: string, alarmName: string): boolean {
  const tier = /-depth-(\d{1,6})$/.exec(alarmName)?.[1];
  if (tier !== undefined && tierAlarmNameAfter(stagePrefix, queueName, Number(tier)) === alarmName)
    return true;
  // A name past the length limit lost its tier to the hash suffix: compare against each tier's name.
  if (alarmName.length !== maxLambdaNameLength || !alarmName.startsWith(stagePrefix.slice(0, 50)))
    return false;
  for (let n = 1; n <= maxCutTierSearch; n++) {
    if (tierAlarmNameAfter(stagePrefix, queueName, n) === alarmName) return true;
  }
  return false;
}

/** The DLQ name of a queue the stack creates: `<name>-dlq`, or `<base>-dlq.fifo` for a FIFO queue. */
export function deadLetterQueueName(queueName: string): string {
  return queueName.endsWith(".fifo") ? `${queueName.slice(0, -".fifo".length)}-dlq.fifo` : `${queueName}-dlq`;
}

/** The platform's own functions, by logical name: the registry's, plus the stack's route sync. */
export const platformFunctionNames: readonly string[] = [...Object.values(PlatformFunction), "route-sync"];

const platformFunctionOfStage = new RegExp(
  `^.+-.+-(${platformFunctionNames.map((n) => n.replace(/-/g, "\\-")).join("|")})$`,
);

/**
 * Why a route may not name `functionName` as its handler, or undefined when it may: a loop would
 * otherwise invoke the platform's own functions with SQS batches (the poller, restart, the scale
 * functions, the admin API, route-sync), locally by their bare names and on AWS as any stage's
 * `<app>-<stage>-<name>`, by name or ARN (qualified or not).
 *
 * @example platformHandlerProblem("shop-prod-poller") // "is the platform's own 'poller' function ..."
 */
export function platformHandlerProblem(functionName: string): string | undefined {
  const name = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(functionName)?.[1] ?? functionName;
  const bare = name.split(":")[0] ?? name;
  const platform = platformFunctionNames.includes(bare) ? bare : platformFunctionOfStage.exec(bare)?.[1];
  return platform === undefined
    ? undefined
    : `is the platform's own '${platform}' function (or a stage's): a route's handler must be a function of yours`;
}
