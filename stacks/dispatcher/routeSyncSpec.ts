import type { Route } from "@sqs-dispatcher/config";
import type { RouteSyncSpecPart } from "@sqs-dispatcher/functions/runtime/routeSyncSpec";
import { ArnFormat } from "aws-cdk-lib";
import * as ssm from "aws-cdk-lib/aws-ssm";
import type { StackBuild } from "./context.js";
import { StackConfigurationError } from "./errors.js";

/** A registry route as the stack hands it to route-sync (physical names are deploy-time tokens). */
export type RegistryRoute = Omit<Route, "source" | "updatedAt">;

/** SSM's value limits: Standard parameters hold 4 KB, Advanced ones 8 KB. */
const standardValueMaxChars = 4_096;
const advancedValueMaxChars = 8_192;
/** What a part aims at, leaving room for the estimate being short. */
const partTargetChars = 3_500;

/**
 * The longest a route's JSON can be once CloudFormation resolves its tokens: the queue URL and the
 * function name are placeholders here, so measure with the longest values they can take.
 */
function estimatedChars(route: RegistryRoute): number {
  return JSON.stringify({
    ...route,
    queueUrl: `https://sqs.ap-southeast-10.amazonaws.com.cn/123456789012/${route.queueName}`,
    functionName: "f".repeat(64),
  }).length;
}

/** Splits the routes into parts whose JSON fits one parameter each (at least one part, maybe empty). */
export function splitRouteSyncSpec(routes: readonly RegistryRoute[]): RegistryRoute[][] {
  const parts: RegistryRoute[][] = [[]];
  let size = 0;
  for (const route of routes) {
    const chars = estimatedChars(route) + 1;
    const current = parts[parts.length - 1]!;
    if (current.length > 0 && size + chars > partTargetChars) {
      parts.push([route]);
      size = chars;
    } else {
      current.push(route);
      size += chars;
    }
  }
  return parts;
}

/** The path of a stage's route-sync parameters, beside (not inside) its routes path. */
export function routeSyncSpecPath(app: string, stage: string): string {
  return `/${app}/${stage}/route-sync/`;
}

/** The deploy's route-sync parameters, as {@link writeRouteSyncSpec} made them. */
export interface RouteSyncSpecParameters {
  readonly parameters: ssm.StringParameter[];
  readonly names: string[];
  /** Their ARNs, for route-sync's `ssm:GetParameters` grant. */
  readonly arns: string[];
}

/**
 * Writes what the deploy wants the route store to hold (the registry's routes, the reset flag and
 * the deploy id) into SSM parameters of the stack: CloudFormation updates them before the route
 * sync resource (which depends on them), and route-sync reads them instead of its event.
 */
export function writeRouteSyncSpec(
  build: StackBuild,
  routes: readonly RegistryRoute[],
  spec: { deployId: string; resetRoutes: boolean },
): RouteSyncSpecParameters {
  const { stack, registry, stage } = build;
  const path = routeSyncSpecPath(registry.app, stage);
  const chunks = splitRouteSyncSpec(routes);
  const names: string[] = [];
  const arns: string[] = [];
  const parameters = chunks.map((chunk, i) => {
    const part: RouteSyncSpecPart = { ...spec, part: i, parts: chunks.length, routes: chunk };
    const estimate =
      JSON.stringify({ ...part, routes: [] }).length + chunk.reduce((n, r) => n + estimatedChars(r) + 1, 0);
    if (estimate > advancedValueMaxChars) {
      throw new StackConfigurationError(
        `route '${chunk[0]?.queueName}' is too large for one route-sync parameter (about ${estimate} characters, SSM holds ${advancedValueMaxChars}): shorten its filters`,
      );
    }
    const parameterName = `${path}${i}`;
    names.push(parameterName);
    arns.push(
      stack.formatArn({
        service: "ssm",
        resource: "parameter",
        resourceName: parameterName.slice(1),
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
    return new ssm.StringParameter(stack, `RouteSyncSpec${i}`, {
      parameterName,
      description: `What deploy ${spec.deployId} wants in the route store (part ${i + 1} of ${chunks.length}); written by CloudFormation, read by route-sync`,
      stringValue: stack.toJsonString(part),
      tier: estimate > standardValueMaxChars ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
    });
  });
  return { parameters, names, arns };
}
