import type { Route } from "@sqs-dispatcher/config";

/**
 * Where routes live at run time (SSM Parameter Store or a DynamoDB table).
 * Routes are keyed by queue name; edits take effect without a redeploy.
 */
export interface RouteStore {
  get(queueName: string): Promise<Route | undefined>;
  list(): Promise<Route[]>;
  put(route: Route): Promise<void>;
  /** False when there was no such route. */
  delete(queueName: string): Promise<boolean>;
}
