import { AwsLimits } from "./limits.js";
import type { RouteStoreKind } from "./schema/platform.js";
import type { RouteConfig } from "./schema/route.js";
import { storedRouteOf } from "./storedRoute.js";

/** The registry's settings that say which stores its routes are written to. */
interface RouteStoreSettings {
  routes: RouteConfig[];
  routeStore: { default: RouteStoreKind; stages: Record<string, RouteStoreKind> };
  local: { routeStore?: RouteStoreKind | undefined };
}

/**
 * The most a stored route may take in each route store, and the limit's name for messages. The SSM
 * store writes with `Tier: Intelligent-Tiering`, which makes a parameter Advanced when its value
 * needs more than Standard's 4,096 characters, so its limit is Advanced's 8,192; a DynamoDB route is
 * one item of at most 400 KB. Sizes are the UTF-8 bytes of the route's JSON: never fewer than SSM's
 * characters, and more than the DynamoDB item (JSON adds quotes and separators).
 */
export const RouteStoreSizeLimits = {
  ssm: {
    bytes: AwsLimits.ssmAdvancedValueMaxChars,
    name: "SSM's 8 KB (8,192-character) limit on an Advanced parameter's value",
  },
  dynamodb: { bytes: AwsLimits.dynamoItemMaxBytes, name: "DynamoDB's 400 KB (409,600-byte) item limit" },
} as const satisfies Record<RouteStoreKind, { bytes: number; name: string }>;

/** The size a route takes in a store: the UTF-8 bytes of its JSON, as the stores write it. */
export function storedRouteBytes(route: object): number {
  return new TextEncoder().encode(JSON.stringify(route)).length;
}

/**
 * Why `route` (its stored form: the JSON the store writes) does not fit the `kind` store, or
 * undefined when it does. The message names the limit and the route's size.
 *
 * @example routeSizeProblem(route, "ssm") // "is 9,674 bytes stored, over SSM's 8 KB ... : use fewer or shorter filter patterns"
 */
export function routeSizeProblem(route: object, kind: RouteStoreKind): string | undefined {
  const limit = RouteStoreSizeLimits[kind];
  const bytes = storedRouteBytes(route);
  if (bytes <= limit.bytes) return undefined;
  return `is ${bytes.toLocaleString("en-US")} bytes stored, over ${limit.name} (the ${kind} route store): use fewer or shorter filter patterns`;
}

/** The longest physical function name (Lambda's limit) and a long SQS URL prefix, for a deploy's stored form. */
const longestFunctionName = "f".repeat(64);
const longestQueueUrlPrefix = "https://sqs.us-gov-southeast-1.amazonaws.com.cn/123456789012/";

/**
 * A registry route as route sync will store it, with the longest values the deploy-time fields can
 * take (the queue's URL, the physical function name, `source` and `updatedAt`): a registry route
 * whose largest stored form fits its store fits on every stage.
 */
export function largestStoredForm(route: RouteConfig): object {
  return {
    ...storedRouteOf(route, {
      queueUrl: `${longestQueueUrlPrefix}${route.queue.name}`,
      functionName: longestFunctionName,
      deployedName: () => longestFunctionName,
    }),
    source: "deploy",
    updatedAt: 9_999_999_999_999,
  };
}

/**
 * Every registry route must fit every store the registry writes routes to (its default, each
 * stage's, the local one): otherwise route sync fails and the deploy with it. One issue per route and
 * store, at `routes[i]`.
 */
export function checkRoutesFitStores(
  registry: RouteStoreSettings,
  addIssue: (issue: { path: (string | number)[]; message: string }) => void,
): void {
  const kinds = new Set<RouteStoreKind>([
    registry.routeStore.default,
    ...Object.values(registry.routeStore.stages),
    ...(registry.local.routeStore !== undefined ? [registry.local.routeStore] : []),
  ]);
  registry.routes.forEach((route, i) => {
    for (const kind of kinds) {
      const problem = routeSizeProblem(largestStoredForm(route), kind);
      if (problem)
        addIssue({ path: ["routes", i], message: `the route of queue '${route.queue.name}' ${problem}` });
    }
  });
}
