import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../lambdaHttp.js";
import { readJson } from "./controlPlaneRequest.js";
import type { FunctionCatalog } from "./functionCatalog.js";
import { addPermissionRequest } from "./functionRequests.js";
import { ControlPlaneErrorType, LambdaApiError } from "./lambdaApiError.js";

/** AddPermission: a statement of the function's resource-based policy (kept, not enforced locally). */
export async function addPermission(
  catalog: FunctionCatalog,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
): Promise<void> {
  const body = await readJson(req, addPermissionRequest);
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  if (fn.policy.some((s) => s["Sid"] === body.StatementId)) {
    throw new LambdaApiError(
      ControlPlaneErrorType.ResourceConflict,
      `The statement id (${body.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
    );
  }
  const principal = /^\d{12}$/.test(body.Principal)
    ? { AWS: `arn:aws:iam::${body.Principal}:root` }
    : body.Principal.startsWith("arn:")
      ? { AWS: body.Principal }
      : { Service: body.Principal };
  const conditions: Record<string, Record<string, string>> = {};
  if (body.SourceArn !== undefined) conditions["ArnLike"] = { "AWS:SourceArn": body.SourceArn };
  if (body.SourceAccount !== undefined)
    conditions["StringEquals"] = { "AWS:SourceAccount": body.SourceAccount };
  const statement: Record<string, unknown> = {
    Sid: body.StatementId,
    Effect: "Allow",
    Principal: principal,
    Action: body.Action,
    Resource: catalog.arnOf(fn.name, catalog.nameOf(raw).qualifier),
    ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
  };
  fn.policy.push(statement);
  await catalog.persist();
  sendJson(res, 201, { Statement: JSON.stringify(statement) });
}

/** GetPolicy: the function's policy document; not found while it has no statement. */
export function getPolicy(catalog: FunctionCatalog, res: ServerResponse, raw: string): void {
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  if (fn.policy.length === 0) {
    throw new LambdaApiError(
      ControlPlaneErrorType.ResourceNotFound,
      "The resource you requested does not exist.",
    );
  }
  sendJson(res, 200, {
    Policy: JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: fn.policy }),
    RevisionId: fn.latest.revisionId,
  });
}

/** RemovePermission: one statement, by its id. */
export async function removePermission(
  catalog: FunctionCatalog,
  res: ServerResponse,
  raw: string,
  sid: string,
): Promise<void> {
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  const before = fn.policy.length;
  fn.policy = fn.policy.filter((s) => s["Sid"] !== sid);
  if (fn.policy.length === before) {
    throw new LambdaApiError(
      ControlPlaneErrorType.ResourceNotFound,
      `Statement ${sid} is not found in resource policy.`,
    );
  }
  await catalog.persist();
  sendJson(res, 204, undefined);
}
