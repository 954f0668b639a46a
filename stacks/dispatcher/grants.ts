import { ArnFormat } from "aws-cdk-lib";
import type { Function as SstFunction } from "sst/constructs";
import type { RouteStoreLocation, StackBuild } from "./context.js";
import { allow } from "./functions.js";

/** The ARN of the routes path itself (`.../parameter/<app>/<stage>/routes`); append `/*` for the routes. */
export function routesParameterArn({ stack }: StackBuild, routesPath: string | undefined): string {
  return stack.formatArn({
    service: "ssm",
    resource: "parameter",
    resourceName: (routesPath ?? "").replace(/^\/|\/$/g, ""),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** Grants read access to the route store (SSM path or routes table). */
export type RoutesReadGrant = (fn: SstFunction) => void;

/** The grant of read access to the stage's route store. */
export function createRoutesReadGrant(
  build: StackBuild,
  { routesTable, routesPath }: RouteStoreLocation,
): RoutesReadGrant {
  const grantRoutesRead = (fn: SstFunction) => {
    if (routesPath !== undefined) {
      const base = routesParameterArn(build, routesPath);
      allow(fn, ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"], [base, `${base}/*`]);
    }
    if (routesTable)
      allow(fn, ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"], [routesTable.tableArn]);
  };
  return grantRoutesRead;
}
