import type { Route } from "@sqs-dispatcher/config";

/**
 * Where routes live at run time (SSM Parameter Store or a DynamoDB table).
 * Routes are keyed by queue name; edits take effect without a redeploy.
 */
export interface RouteStore {
  get(queueName: string): Promise<Route | undefined>;
  list(): Promise<Route[]>;
  /** Writes a route, then bumps the version marker. */
  put(route: Route): Promise<void>;
  /** Deletes a route, then bumps the version marker. False when there was no such route. */
  delete(queueName: string): Promise<boolean>;
  /**
   * The routes' version marker: one small read that changes whenever any route is written
   * (`put`, `delete`), so a reader with a cache re-reads routes only after a change
   * (`routing/routeResolver.ts`). `undefined` when no route was ever written by a version that
   * keeps the marker. Optional: a store without it is read once per route and TTL.
   */
  version?(): Promise<string | undefined>;
}

/**
 * The name the version marker is stored under beside the routes (an SSM parameter in the routes
 * path, an item of the routes table). A leading dot: no SQS queue name can collide with it.
 */
export const ROUTES_VERSION_KEY = ".version";
