import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../lambdaHttp.js";
import { aliasNamePattern, checkRevision, invalid, readJson } from "./controlPlaneRequest.js";
import type { CreatedFunction, FunctionAlias } from "./createdFunctions.js";
import type { FunctionCatalog } from "./functionCatalog.js";
import { createAliasRequest, updateAliasRequest } from "./functionRequests.js";
import { ControlPlaneErrorType, LambdaApiError } from "./lambdaApiError.js";

function aliasBody(catalog: FunctionCatalog, fn: CreatedFunction, name: string, alias: FunctionAlias) {
  return {
    AliasArn: catalog.arnOf(fn.name, name),
    Name: name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    RevisionId: alias.revisionId,
  };
}

function checkAliasTarget(catalog: FunctionCatalog, fn: CreatedFunction, version: string): void {
  if (version !== "$LATEST" && !fn.versions[version]) throw catalog.notFound(fn.name, version);
}

function aliasOrThrow(catalog: FunctionCatalog, fn: CreatedFunction, name: string): FunctionAlias {
  const alias = fn.aliases[name];
  if (!alias) {
    throw new LambdaApiError(
      ControlPlaneErrorType.ResourceNotFound,
      `Alias not found: ${catalog.arnOf(fn.name, name)}`,
    );
  }
  return alias;
}

/** CreateAlias: a name for `$LATEST` or a published version. */
export async function createAlias(
  catalog: FunctionCatalog,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
): Promise<void> {
  const body = await readJson(req, createAliasRequest);
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  if (!aliasNamePattern.test(body.Name) || body.Name.length > 128) {
    throw invalid(
      `Value '${body.Name}' at 'name' failed to satisfy constraint: an alias name is letters, digits, - and _, not only digits`,
    );
  }
  if (fn.aliases[body.Name]) {
    throw new LambdaApiError(
      ControlPlaneErrorType.ResourceConflict,
      `Alias already exists: ${catalog.arnOf(fn.name, body.Name)}`,
    );
  }
  checkAliasTarget(catalog, fn, body.FunctionVersion);
  const alias: FunctionAlias = {
    functionVersion: body.FunctionVersion,
    description: body.Description ?? "",
    revisionId: randomUUID(),
  };
  fn.aliases[body.Name] = alias;
  await catalog.persist();
  sendJson(res, 201, aliasBody(catalog, fn, body.Name, alias));
}

/** ListAliases. */
export function listAliases(catalog: FunctionCatalog, res: ServerResponse, raw: string): void {
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  sendJson(res, 200, {
    Aliases: Object.entries(fn.aliases).map(([n, a]) => aliasBody(catalog, fn, n, a)),
  });
}

/** GetAlias. */
export function getAlias(catalog: FunctionCatalog, res: ServerResponse, raw: string, name: string): void {
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  sendJson(res, 200, aliasBody(catalog, fn, name, aliasOrThrow(catalog, fn, name)));
}

/** UpdateAlias: another version or description, against the alias's revision when given. */
export async function updateAlias(
  catalog: FunctionCatalog,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
  aliasName: string,
): Promise<void> {
  const body = await readJson(req, updateAliasRequest);
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  const alias = aliasOrThrow(catalog, fn, aliasName);
  checkRevision(body.RevisionId, alias.revisionId);
  if (body.FunctionVersion !== undefined) checkAliasTarget(catalog, fn, body.FunctionVersion);
  const next: FunctionAlias = {
    functionVersion: body.FunctionVersion ?? alias.functionVersion,
    description: body.Description ?? alias.description,
    revisionId: randomUUID(),
  };
  fn.aliases[aliasName] = next;
  await catalog.persist();
  sendJson(res, 200, aliasBody(catalog, fn, aliasName, next));
}

/** DeleteAlias (an unknown alias too, as Lambda answers it). */
export async function deleteAlias(
  catalog: FunctionCatalog,
  res: ServerResponse,
  raw: string,
  name: string,
): Promise<void> {
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  delete fn.aliases[name];
  await catalog.persist();
  sendJson(res, 204, undefined);
}
