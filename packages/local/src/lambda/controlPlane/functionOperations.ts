import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../lambdaHttp.js";
import {
  checkRevision,
  checkRole,
  checkRuntime,
  invalid,
  lambdaTimestamp,
  readJson,
} from "./controlPlaneRequest.js";
import type { CreatedFunction, FunctionState } from "./createdFunctions.js";
import type { FunctionCatalog } from "./functionCatalog.js";
import {
  createFunctionRequest,
  publishVersionRequest,
  putFunctionConcurrencyRequest,
  updateFunctionCodeRequest,
  updateFunctionConfigurationRequest,
} from "./functionRequests.js";
import { ControlPlaneErrorType, LambdaApiError } from "./lambdaApiError.js";

/** `$LATEST` is installed under the bare name. */
const latestKey = (fn: CreatedFunction) => fn.name;

/** The configuration of `version` (`$LATEST` or a number) as Lambda answers a change with it. */
function configurationOfVersion(catalog: FunctionCatalog, fn: CreatedFunction, version: string) {
  return version === "$LATEST"
    ? catalog.configurationOf(fn, fn.name, fn.latest)
    : catalog.configurationOf(fn, `${fn.name}:${version}`, fn.versions[version]!);
}

/** CreateFunction: a .zip function, installed as `$LATEST` (and published when asked). */
export async function createFunction(
  catalog: FunctionCatalog,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { created, host } = catalog;
  const body = await readJson(req, createFunctionRequest);
  const name = catalog.nameOf(body.FunctionName).name;
  if (created.has(name) || host.installed(name)) {
    throw new LambdaApiError(ControlPlaneErrorType.ResourceConflict, `Function already exist: ${name}`);
  }
  if (body.PackageType !== undefined && body.PackageType !== "Zip") {
    throw invalid("the local Lambda service runs .zip deployment packages only");
  }
  const runtime = checkRuntime(body.Runtime);
  checkRole(body.Role);
  if (body.Handler === undefined) throw invalid("Handler is required for a .zip deployment package");
  const handler = body.Handler;
  const now = Date.now();
  const fn: CreatedFunction = {
    name,
    role: body.Role,
    latest: {
      handler,
      runtime,
      description: body.Description ?? "",
      timeoutSec: body.Timeout ?? 3,
      memoryMb: body.MemorySize ?? 128,
      environment: body.Environment?.Variables ?? {},
      code: { folder: "", codeSha256: "", codeSize: 0 },
      revisionId: randomUUID(),
      lastModified: lambdaTimestamp(now),
    },
    versions: {},
    lastVersion: 0,
    aliases: {},
    policy: [],
  };
  // Checked before the zip is unpacked, so a bad setting leaves nothing behind.
  catalog.validate(fn, fn.latest);
  fn.latest.code = await catalog.unpack(name, body.Code.ZipFile, handler, body.Code);
  await catalog.install(fn, latestKey(fn), fn.latest, "$LATEST");
  created.set(name, fn);
  let version = "$LATEST";
  if (body.Publish) version = await catalog.publish(fn, undefined);
  await catalog.persist();
  catalog.logger.info("function created", { functionName: name, runtime, handler });
  sendJson(res, 201, configurationOfVersion(catalog, fn, version));
}

/** UpdateFunctionCode: new code for `$LATEST` (and a published version when asked). */
export async function updateFunctionCode(
  catalog: FunctionCatalog,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
): Promise<void> {
  const body = await readJson(req, updateFunctionCodeRequest);
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  checkRevision(body.RevisionId, fn.latest.revisionId);
  const code = await catalog.unpack(fn.name, body.ZipFile, fn.latest.handler, body);
  const next: FunctionState = {
    ...fn.latest,
    code,
    revisionId: randomUUID(),
    lastModified: lambdaTimestamp(Date.now()),
  };
  await catalog.install(fn, latestKey(fn), next, "$LATEST");
  fn.latest = next;
  let version = "$LATEST";
  if (body.Publish) version = await catalog.publish(fn, undefined);
  await catalog.persist();
  catalog.logger.info("function code updated", { functionName: fn.name, codeSha256: code.codeSha256 });
  sendJson(res, 200, configurationOfVersion(catalog, fn, version));
}

/** UpdateFunctionConfiguration: handler, timeout, memory, environment, runtime or role of `$LATEST`. */
export async function updateFunctionConfiguration(
  catalog: FunctionCatalog,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
): Promise<void> {
  const body = await readJson(req, updateFunctionConfigurationRequest);
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  checkRevision(body.RevisionId, fn.latest.revisionId);
  if (body.Role !== undefined) checkRole(body.Role);
  const next: FunctionState = {
    ...fn.latest,
    ...(body.Handler !== undefined ? { handler: body.Handler } : {}),
    ...(body.Description !== undefined ? { description: body.Description } : {}),
    ...(body.Timeout !== undefined ? { timeoutSec: body.Timeout } : {}),
    ...(body.MemorySize !== undefined ? { memoryMb: body.MemorySize } : {}),
    ...(body.Environment !== undefined ? { environment: body.Environment.Variables ?? {} } : {}),
    ...(body.Runtime !== undefined ? { runtime: checkRuntime(body.Runtime) } : {}),
    revisionId: randomUUID(),
    lastModified: lambdaTimestamp(Date.now()),
  };
  catalog.validate(fn, next);
  const previousRole = fn.role;
  if (body.Role !== undefined) fn.role = body.Role;
  try {
    await catalog.install(fn, latestKey(fn), next, "$LATEST");
  } catch (error) {
    fn.role = previousRole;
    throw error;
  }
  fn.latest = next;
  await catalog.persist();
  catalog.logger.info("function configuration updated", {
    functionName: fn.name,
    timeoutSec: next.timeoutSec,
  });
  sendJson(res, 200, catalog.configurationOf(fn, fn.name, fn.latest));
}

/** DeleteFunction: the whole function, or one published version (`Qualifier`). */
export async function deleteFunction(
  catalog: FunctionCatalog,
  res: ServerResponse,
  raw: string,
  query: URLSearchParams,
): Promise<void> {
  const { created, host } = catalog;
  const { name, qualifier: inName } = catalog.nameOf(raw);
  const qualifier = query.get("Qualifier") ?? inName;
  const fn = created.get(name);
  if (!fn && !host.installed(name)) throw catalog.notFound(name);
  if (qualifier !== undefined && qualifier !== "$LATEST") {
    if (!fn || !/^\d+$/.test(qualifier)) {
      throw invalid("Deleting a function's alias is DeleteAlias; a qualifier here names a version");
    }
    if (!fn.versions[qualifier]) throw catalog.notFound(name, qualifier);
    const aliased = Object.entries(fn.aliases).find(([, alias]) => alias.functionVersion === qualifier);
    if (aliased) {
      throw new LambdaApiError(
        ControlPlaneErrorType.ResourceConflict,
        `Unable to delete version because the following aliases reference it: [${aliased[0]}]`,
      );
    }
    await host.remove(`${name}:${qualifier}`);
    delete fn.versions[qualifier];
  } else {
    for (const version of Object.keys(fn?.versions ?? {})) await host.remove(`${name}:${version}`);
    await host.remove(name);
    created.delete(name);
    catalog.logger.info("function deleted", { functionName: name });
  }
  await catalog.persist();
  sendJson(res, 204, undefined);
}

/** PutFunctionConcurrency, on any installed function (a registry-deployed one too). */
export async function putConcurrency(
  catalog: FunctionCatalog,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
): Promise<void> {
  const body = await readJson(req, putFunctionConcurrencyRequest);
  const { name } = catalog.nameOf(raw);
  if (!catalog.host.installed(name)) throw catalog.notFound(name);
  if (body.ReservedConcurrentExecutions < 0) {
    throw invalid("ReservedConcurrentExecutions must be at least 0");
  }
  catalog.host.setReservedConcurrency(name, body.ReservedConcurrentExecutions);
  const fn = catalog.created.get(name);
  if (fn) {
    fn.reservedConcurrency = body.ReservedConcurrentExecutions;
    await catalog.persist();
  }
  sendJson(res, 200, { ReservedConcurrentExecutions: body.ReservedConcurrentExecutions });
}

/** DeleteFunctionConcurrency, on any installed function. */
export async function deleteConcurrency(
  catalog: FunctionCatalog,
  res: ServerResponse,
  raw: string,
): Promise<void> {
  const { name } = catalog.nameOf(raw);
  if (!catalog.host.installed(name)) throw catalog.notFound(name);
  catalog.host.setReservedConcurrency(name, undefined);
  const fn = catalog.created.get(name);
  if (fn) {
    delete fn.reservedConcurrency;
    await catalog.persist();
  }
  sendJson(res, 204, undefined);
}

/** PublishVersion: `$LATEST` as the next version, when the caller's CodeSha256 still matches. */
export async function publishVersion(
  catalog: FunctionCatalog,
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
): Promise<void> {
  const body = await readJson(req, publishVersionRequest);
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  checkRevision(body.RevisionId, fn.latest.revisionId);
  if (body.CodeSha256 !== undefined && body.CodeSha256 !== fn.latest.code.codeSha256) {
    throw invalid(
      `CodeSha256 (${body.CodeSha256}) is different from current CodeSha256 in $LATEST (${fn.latest.code.codeSha256}). Please try again from GetFunction`,
    );
  }
  const version = await catalog.publish(fn, body.Description);
  await catalog.persist();
  sendJson(res, 201, catalog.configurationOf(fn, `${fn.name}:${version}`, fn.versions[version]!));
}

/** ListVersionsByFunction: `$LATEST` then every published version. */
export function listVersions(catalog: FunctionCatalog, res: ServerResponse, raw: string): void {
  const fn = catalog.createdOrThrow(catalog.nameOf(raw).name);
  sendJson(res, 200, {
    Versions: [
      catalog.configurationOf(fn, fn.name, fn.latest),
      ...Object.entries(fn.versions).map(([v, state]) =>
        catalog.configurationOf(fn, `${fn.name}:${v}`, state),
      ),
    ],
  });
}
