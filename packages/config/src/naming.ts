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

/**
 * The physical name on AWS of a function or table of a stage: `<app>-<stage>-<name>`.
 * The SST stack names resources with it and the CLI resolves registry names with it;
 * names past Lambda's 64-character limit are cut and given a hash suffix so they stay
 * unique and stable.
 *
 * @example awsResourceName("shop", "prod", "record") // "shop-prod-record"
 */
export function awsResourceName(app: string, stage: string, name: string): string {
  const full = `${app}-${stage}-${name}`;
  if (full.length <= maxLambdaNameLength) return full;
  const suffix = shortHash(full);
  return `${full.slice(0, maxLambdaNameLength - suffix.length - 1)}-${suffix}`;
}

/**
 * The name of a route tier's CloudWatch alarm: `<app>-<stage>-<queue>-depth-<tier>` (tiers count
 * from 1; "depth" whatever the tier's metric), cut and hashed as {@link awsResourceName} does.
 * The stack names the alarms with it, the scale-topic policy lists exactly these, and the scale
 * functions accept a notification only for the name this gives for the queue the alarm watches,
 * so another stage's alarms (`prod-eu` next to `prod`) never match.
 *
 * @example tierAlarmName("shop", "prod", "orders", 1) // "shop-prod-orders-depth-1"
 */
export function tierAlarmName(app: string, stage: string, queueName: string, tier: number): string {
  return awsResourceName(app, stage, `${queueName}-depth-${tier}`);
}
