import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Logger } from "@sqs-dispatcher/core";
import type { z } from "zod";
import type { FunctionBundle } from "../bundleFunction.js";
import {
  FunctionCodeError,
  linkRuntimeSdk,
  unpackedFunctionCode,
  unpackFunctionCode,
} from "../functionCode.js";
import {
  InvalidFunctionDefinitionError,
  type LocalFunctionDefinition,
  RecursiveLoop,
  validateFunctionDefinition,
} from "../functionDefinition.js";
import { parseFunctionName } from "../functionName.js";
import { readBody, sendJson } from "../lambdaHttp.js";
import {
  type CreatedFunction,
  createdFunctionFile,
  type FunctionAlias,
  type FunctionState,
} from "./createdFunctions.js";
import type { FunctionHost } from "./functionHost.js";
import {
  addPermissionRequest,
  createAliasRequest,
  createFunctionRequest,
  publishVersionRequest,
  putFunctionConcurrencyRequest,
  supportedRuntimes,
  updateAliasRequest,
  updateFunctionCodeRequest,
  updateFunctionConfigurationRequest,
} from "./functionRequests.js";
import { ControlPlaneErrorType, LambdaApiError } from "./lambdaApiError.js";

/** Options of {@link createLambdaControlPlane}. */
export interface LambdaControlPlaneOptions {
  host: FunctionHost;
  region: string;
  accountId: string;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /** Created functions persist under `<dataDir>/lambda`; without it they live in a temporary folder. */
  dataDir?: string;
}

/** The Lambda control plane: the operations that create and change functions, as the AWS CLI calls them. */
export interface LambdaControlPlane {
  /** Serves a control-plane request; false when `req` is none (the service's own routes serve it). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** The installed key a qualified name invokes (`name`, `name:version`); undefined for an unknown qualifier. */
  resolveKey(name: string, qualifier: string | undefined): string | undefined;
  /** Resolves once functions kept in the data folder are installed again. */
  readonly restored: Promise<void>;
  close(): Promise<void>;
}

/** AWS accepts a direct upload up to this many request bytes (base64 of a 50 MB zip fits). */
const maxRequestBytes = 70_167_211;
const rolePattern = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const aliasNamePattern = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;

function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

function sendError(res: ServerResponse, error: LambdaApiError): void {
  sendJson(
    res,
    error.status,
    { Type: "User", message: error.message },
    { "x-amzn-ErrorType": error.errorType },
  );
}

function invalid(message: string): LambdaApiError {
  return new LambdaApiError(ControlPlaneErrorType.InvalidParameterValue, message);
}

/**
 * Creates the local Lambda service's control plane: CreateFunction (ZipFile), UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, Put/DeleteFunctionConcurrency, PublishVersion,
 * ListVersionsByFunction, Create/Get/Update/Delete/ListAliases, AddPermission/GetPolicy/RemovePermission.
 * A created function's zip is unpacked into its own folder and run by the service like any function;
 * with a data folder, created functions come back after a restart.
 */
export function createLambdaControlPlane(options: LambdaControlPlaneOptions): LambdaControlPlane {
  const { host, region, accountId, logger } = options;
  const created = new Map<string, CreatedFunction>();
  let tempRoot: string | undefined;
  let rootPending: Promise<string> | undefined;
  const rootDir = (): Promise<string> => {
    rootPending ??= (async () => {
      if (options.dataDir === undefined) tempRoot = await mkdtemp(join(tmpdir(), "dispatcher-lambda-"));
      const root = tempRoot ?? join(options.dataDir ?? "", "lambda");
      await linkRuntimeSdk(root);
      return root;
    })();
    return rootPending;
  };
  const file =
    options.dataDir !== undefined ? createdFunctionFile(join(options.dataDir, "lambda")) : undefined;
  const persist = async () => {
    await file?.save(created.values());
  };

  const arnOf = (name: string, qualifier?: string) =>
    `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ""}`;

  function notFound(name: string, qualifier?: string): LambdaApiError {
    return new LambdaApiError(
      ControlPlaneErrorType.ResourceNotFound,
      `Function not found: ${arnOf(name, qualifier)}`,
    );
  }

  /** The function a path names (name, partial or full ARN), in this region and account. */
  function nameOf(raw: string): { name: string; qualifier?: string } {
    const parsed = parseFunctionName(raw);
    if (!parsed || (parsed.region ?? region) !== region || (parsed.accountId ?? accountId) !== accountId) {
      throw notFound(parsed?.name ?? raw);
    }
    return { name: parsed.name, ...(parsed.qualifier ? { qualifier: parsed.qualifier } : {}) };
  }

  function createdOrThrow(name: string): CreatedFunction {
    const fn = created.get(name);
    if (fn) return fn;
    if (host.installed(name)) {
      throw invalid(
        `function ${name} is deployed from the registry (dispatcher.config.ts); change it there and deploy, or create your own function with CreateFunction`,
      );
    }
    throw notFound(name);
  }

  function definitionOf(fn: CreatedFunction, state: FunctionState): LocalFunctionDefinition {
    return {
      name: fn.name,
      handler: state.handler,
      timeoutSec: state.timeoutSec,
      memoryMb: state.memoryMb,
      environment: { ...state.environment },
      ...(fn.reservedConcurrency !== undefined ? { reservedConcurrency: fn.reservedConcurrency } : {}),
      // A function created through the API keeps AWS's recursion guard, as it does on AWS.
      recursiveLoop: RecursiveLoop.Terminate,
      runtime: state.runtime,
      role: fn.role,
      description: state.description,
    };
  }

  async function bundleOf(state: FunctionState): Promise<FunctionBundle> {
    return unpackedFunctionCode(join(await rootDir(), state.code.folder), state.handler, state.code);
  }

  async function install(
    fn: CreatedFunction,
    key: string,
    state: FunctionState,
    version: string,
  ): Promise<void> {
    const def = definitionOf(fn, state);
    try {
      validateFunctionDefinition(def);
    } catch (error) {
      if (error instanceof InvalidFunctionDefinitionError) throw invalid(error.message);
      throw error;
    }
    await host.install(key, def, await bundleOf(state), version);
  }

  function configurationOf(fn: CreatedFunction, key: string, state: FunctionState): Record<string, unknown> {
    return {
      ...host.configuration(key),
      Role: fn.role,
      Runtime: state.runtime,
      Handler: state.handler,
      Description: state.description,
      RevisionId: state.revisionId,
      LastModified: state.lastModified,
      CodeSha256: state.code.codeSha256,
      CodeSize: state.code.codeSize,
    };
  }

  async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
    const read = await readBody(req, maxRequestBytes);
    if (!read.ok) {
      throw new LambdaApiError(
        ControlPlaneErrorType.RequestTooLarge,
        `Request must be smaller than ${maxRequestBytes} bytes for the operation`,
      );
    }
    let value: unknown = {};
    if (read.body.length > 0) {
      try {
        value = JSON.parse(read.body.toString("utf8"));
      } catch {
        throw invalid("Could not parse request body into json");
      }
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(
        `1 validation error detected: Value at '${issue?.path.join(".") ?? ""}' failed to satisfy constraint: ${issue?.message ?? "invalid"}`,
      );
    }
    return parsed.data;
  }

  function checkRuntime(runtime: string | undefined): string {
    if (runtime === undefined) throw invalid("Runtime is required for a .zip deployment package");
    if (!(supportedRuntimes as readonly string[]).includes(runtime)) {
      throw invalid(
        `Value '${runtime}' at 'runtime' failed to satisfy constraint: the local Lambda service runs ${supportedRuntimes.join(", ")}`,
      );
    }
    return runtime;
  }

  function checkRole(role: string): void {
    if (!rolePattern.test(role)) {
      throw invalid(
        `1 validation error detected: Value '${role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rolePattern.source}`,
      );
    }
  }

  async function unpack(
    name: string,
    zipBase64: string | undefined,
    handler: string,
    code: { S3Bucket?: string | undefined; ImageUri?: string | undefined },
  ) {
    if (code.S3Bucket !== undefined || code.ImageUri !== undefined) {
      throw invalid(
        "the local Lambda service takes code as a ZipFile only (no S3 object, no container image)",
      );
    }
    if (zipBase64 === undefined) throw invalid("Code.ZipFile is required");
    const root = await rootDir();
    try {
      const bundle = await unpackFunctionCode({
        zip: Buffer.from(zipBase64, "base64"),
        functionsRoot: join(root, "functions"),
        functionName: name,
        handler,
      });
      return {
        folder: relative(root, bundle.taskRoot),
        codeSha256: bundle.codeSha256,
        codeSize: bundle.codeSize,
      };
    } catch (error) {
      if (error instanceof FunctionCodeError) throw new LambdaApiError(error.errorType, error.message);
      throw error;
    }
  }

  function checkRevision(expected: string | undefined, actual: string): void {
    if (expected !== undefined && expected !== actual) {
      throw new LambdaApiError(
        ControlPlaneErrorType.PreconditionFailed,
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      );
    }
  }

  async function publish(fn: CreatedFunction, description: string | undefined): Promise<string> {
    // Publishing unchanged code and configuration returns the last version, as Lambda does.
    const last = fn.versions[String(fn.lastVersion)];
    if (
      last &&
      last.code.codeSha256 === fn.latest.code.codeSha256 &&
      last.revisionId === fn.latest.revisionId
    ) {
      return String(fn.lastVersion);
    }
    const version = String(fn.lastVersion + 1);
    const state: FunctionState = {
      ...structuredClone(fn.latest),
      ...(description !== undefined ? { description } : {}),
    };
    await install(fn, `${fn.name}:${version}`, state, version);
    fn.versions[version] = state;
    fn.lastVersion += 1;
    return version;
  }

  const latestKey = (fn: CreatedFunction) => fn.name;

  async function createFunction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req, createFunctionRequest);
    const name = nameOf(body.FunctionName).name;
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
    validate(fn, fn.latest);
    fn.latest.code = await unpack(name, body.Code.ZipFile, handler, body.Code);
    await install(fn, latestKey(fn), fn.latest, "$LATEST");
    created.set(name, fn);
    let version = "$LATEST";
    if (body.Publish) version = await publish(fn, undefined);
    await persist();
    logger.info("function created", { functionName: name, runtime, handler });
    const key = version === "$LATEST" ? name : `${name}:${version}`;
    sendJson(res, 201, configurationOf(fn, key, version === "$LATEST" ? fn.latest : fn.versions[version]!));
  }

  function validate(fn: CreatedFunction, state: FunctionState): void {
    try {
      validateFunctionDefinition(definitionOf(fn, state));
    } catch (error) {
      if (error instanceof InvalidFunctionDefinitionError) throw invalid(error.message);
      throw error;
    }
  }

  async function updateFunctionCode(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const body = await readJson(req, updateFunctionCodeRequest);
    const fn = createdOrThrow(nameOf(raw).name);
    checkRevision(body.RevisionId, fn.latest.revisionId);
    const code = await unpack(fn.name, body.ZipFile, fn.latest.handler, body);
    const next: FunctionState = {
      ...fn.latest,
      code,
      revisionId: randomUUID(),
      lastModified: lambdaTimestamp(Date.now()),
    };
    await install(fn, latestKey(fn), next, "$LATEST");
    fn.latest = next;
    let version = "$LATEST";
    if (body.Publish) version = await publish(fn, undefined);
    await persist();
    logger.info("function code updated", { functionName: fn.name, codeSha256: code.codeSha256 });
    sendJson(
      res,
      200,
      configurationOf(
        fn,
        version === "$LATEST" ? fn.name : `${fn.name}:${version}`,
        version === "$LATEST" ? fn.latest : fn.versions[version]!,
      ),
    );
  }

  async function updateFunctionConfiguration(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
  ): Promise<void> {
    const body = await readJson(req, updateFunctionConfigurationRequest);
    const fn = createdOrThrow(nameOf(raw).name);
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
    validate(fn, next);
    const previousRole = fn.role;
    if (body.Role !== undefined) fn.role = body.Role;
    try {
      await install(fn, latestKey(fn), next, "$LATEST");
    } catch (error) {
      fn.role = previousRole;
      throw error;
    }
    fn.latest = next;
    await persist();
    logger.info("function configuration updated", { functionName: fn.name, timeoutSec: next.timeoutSec });
    sendJson(res, 200, configurationOf(fn, fn.name, fn.latest));
  }

  async function deleteFunction(res: ServerResponse, raw: string, query: URLSearchParams): Promise<void> {
    const { name, qualifier: inName } = nameOf(raw);
    const qualifier = query.get("Qualifier") ?? inName;
    const fn = created.get(name);
    if (!fn && !host.installed(name)) throw notFound(name);
    if (qualifier !== undefined && qualifier !== "$LATEST") {
      if (!fn || !/^\d+$/.test(qualifier)) {
        throw invalid("Deleting a function's alias is DeleteAlias; a qualifier here names a version");
      }
      if (!fn.versions[qualifier]) throw notFound(name, qualifier);
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
      logger.info("function deleted", { functionName: name });
    }
    await persist();
    sendJson(res, 204, undefined);
  }

  async function putConcurrency(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const body = await readJson(req, putFunctionConcurrencyRequest);
    const { name } = nameOf(raw);
    if (!host.installed(name)) throw notFound(name);
    if (body.ReservedConcurrentExecutions < 0) {
      throw invalid("ReservedConcurrentExecutions must be at least 0");
    }
    host.setReservedConcurrency(name, body.ReservedConcurrentExecutions);
    const fn = created.get(name);
    if (fn) {
      fn.reservedConcurrency = body.ReservedConcurrentExecutions;
      await persist();
    }
    sendJson(res, 200, { ReservedConcurrentExecutions: body.ReservedConcurrentExecutions });
  }

  async function deleteConcurrency(res: ServerResponse, raw: string): Promise<void> {
    const { name } = nameOf(raw);
    if (!host.installed(name)) throw notFound(name);
    host.setReservedConcurrency(name, undefined);
    const fn = created.get(name);
    if (fn) {
      delete fn.reservedConcurrency;
      await persist();
    }
    sendJson(res, 204, undefined);
  }

  function aliasBody(fn: CreatedFunction, name: string, alias: FunctionAlias) {
    return {
      AliasArn: arnOf(fn.name, name),
      Name: name,
      FunctionVersion: alias.functionVersion,
      Description: alias.description,
      RevisionId: alias.revisionId,
    };
  }

  function checkAliasTarget(fn: CreatedFunction, version: string): void {
    if (version !== "$LATEST" && !fn.versions[version]) throw notFound(fn.name, version);
  }

  async function createAlias(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const body = await readJson(req, createAliasRequest);
    const fn = createdOrThrow(nameOf(raw).name);
    if (!aliasNamePattern.test(body.Name) || body.Name.length > 128) {
      throw invalid(
        `Value '${body.Name}' at 'name' failed to satisfy constraint: an alias name is letters, digits, - and _, not only digits`,
      );
    }
    if (fn.aliases[body.Name]) {
      throw new LambdaApiError(
        ControlPlaneErrorType.ResourceConflict,
        `Alias already exists: ${arnOf(fn.name, body.Name)}`,
      );
    }
    checkAliasTarget(fn, body.FunctionVersion);
    const alias: FunctionAlias = {
      functionVersion: body.FunctionVersion,
      description: body.Description ?? "",
      revisionId: randomUUID(),
    };
    fn.aliases[body.Name] = alias;
    await persist();
    sendJson(res, 201, aliasBody(fn, body.Name, alias));
  }

  function aliasOrThrow(fn: CreatedFunction, name: string): FunctionAlias {
    const alias = fn.aliases[name];
    if (!alias) {
      throw new LambdaApiError(
        ControlPlaneErrorType.ResourceNotFound,
        `Alias not found: ${arnOf(fn.name, name)}`,
      );
    }
    return alias;
  }

  async function updateAlias(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    aliasName: string,
  ): Promise<void> {
    const body = await readJson(req, updateAliasRequest);
    const fn = createdOrThrow(nameOf(raw).name);
    const alias = aliasOrThrow(fn, aliasName);
    checkRevision(body.RevisionId, alias.revisionId);
    if (body.FunctionVersion !== undefined) checkAliasTarget(fn, body.FunctionVersion);
    const next: FunctionAlias = {
      functionVersion: body.FunctionVersion ?? alias.functionVersion,
      description: body.Description ?? alias.description,
      revisionId: randomUUID(),
    };
    fn.aliases[aliasName] = next;
    await persist();
    sendJson(res, 200, aliasBody(fn, aliasName, next));
  }

  async function addPermission(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const body = await readJson(req, addPermissionRequest);
    const fn = createdOrThrow(nameOf(raw).name);
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
      Resource: arnOf(fn.name, nameOf(raw).qualifier),
      ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
    };
    fn.policy.push(statement);
    await persist();
    sendJson(res, 201, { Statement: JSON.stringify(statement) });
  }

  function policyBody(fn: CreatedFunction) {
    return {
      Policy: JSON.stringify({ Version: "2012-10-17", Id: "default", Statement: fn.policy }),
      RevisionId: fn.latest.revisionId,
    };
  }

  async function removePermission(res: ServerResponse, raw: string, sid: string): Promise<void> {
    const fn = createdOrThrow(nameOf(raw).name);
    const before = fn.policy.length;
    fn.policy = fn.policy.filter((s) => s["Sid"] !== sid);
    if (fn.policy.length === before) {
      throw new LambdaApiError(
        ControlPlaneErrorType.ResourceNotFound,
        `Statement ${sid} is not found in resource policy.`,
      );
    }
    await persist();
    sendJson(res, 204, undefined);
  }

  type Run = (
    req: IncomingMessage,
    res: ServerResponse,
    params: string[],
    query: URLSearchParams,
  ) => Promise<void> | void;
  const fnPath = "([^/]+)";
  const routes: Array<{ method: string; pattern: RegExp; run: Run }> = [
    { method: "POST", pattern: /^\/2015-03-31\/functions\/?$/, run: (req, res) => createFunction(req, res) },
    {
      method: "PUT",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/code/?$`),
      run: (req, res, [name]) => updateFunctionCode(req, res, name!),
    },
    {
      method: "PUT",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/configuration/?$`),
      run: (req, res, [name]) => updateFunctionConfiguration(req, res, name!),
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/?$`),
      run: (_req, res, [name], query) => deleteFunction(res, name!, query),
    },
    {
      method: "PUT",
      pattern: new RegExp(`^/2017-10-31/functions/${fnPath}/concurrency/?$`),
      run: (req, res, [name]) => putConcurrency(req, res, name!),
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/2017-10-31/functions/${fnPath}/concurrency/?$`),
      run: (_req, res, [name]) => deleteConcurrency(res, name!),
    },
    {
      method: "POST",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/versions/?$`),
      run: async (req, res, [raw]) => {
        const body = await readJson(req, publishVersionRequest);
        const fn = createdOrThrow(nameOf(raw!).name);
        checkRevision(body.RevisionId, fn.latest.revisionId);
        if (body.CodeSha256 !== undefined && body.CodeSha256 !== fn.latest.code.codeSha256) {
          throw invalid(
            `CodeSha256 (${body.CodeSha256}) is different from current CodeSha256 in $LATEST (${fn.latest.code.codeSha256}). Please try again from GetFunction`,
          );
        }
        const version = await publish(fn, body.Description);
        await persist();
        sendJson(res, 201, configurationOf(fn, `${fn.name}:${version}`, fn.versions[version]!));
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/versions/?$`),
      run: (_req, res, [raw]) => {
        const fn = createdOrThrow(nameOf(raw!).name);
        sendJson(res, 200, {
          Versions: [
            configurationOf(fn, fn.name, fn.latest),
            ...Object.entries(fn.versions).map(([v, state]) => configurationOf(fn, `${fn.name}:${v}`, state)),
          ],
        });
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/aliases/?$`),
      run: (req, res, [name]) => createAlias(req, res, name!),
    },
    {
      method: "GET",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/aliases/?$`),
      run: (_req, res, [raw]) => {
        const fn = createdOrThrow(nameOf(raw!).name);
        sendJson(res, 200, { Aliases: Object.entries(fn.aliases).map(([n, a]) => aliasBody(fn, n, a)) });
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/aliases/([^/]+)/?$`),
      run: (_req, res, [raw, alias]) => {
        const fn = createdOrThrow(nameOf(raw!).name);
        sendJson(res, 200, aliasBody(fn, alias!, aliasOrThrow(fn, alias!)));
      },
    },
    {
      method: "PUT",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/aliases/([^/]+)/?$`),
      run: (req, res, [name, alias]) => updateAlias(req, res, name!, alias!),
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/aliases/([^/]+)/?$`),
      run: async (_req, res, [raw, alias]) => {
        const fn = createdOrThrow(nameOf(raw!).name);
        delete fn.aliases[alias!];
        await persist();
        sendJson(res, 204, undefined);
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/policy/?$`),
      run: (req, res, [name]) => addPermission(req, res, name!),
    },
    {
      method: "GET",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/policy/?$`),
      run: (_req, res, [raw]) => {
        const fn = createdOrThrow(nameOf(raw!).name);
        if (fn.policy.length === 0) {
          throw new LambdaApiError(
            ControlPlaneErrorType.ResourceNotFound,
            "The resource you requested does not exist.",
          );
        }
        sendJson(res, 200, policyBody(fn));
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/2015-03-31/functions/${fnPath}/policy/([^/]+)/?$`),
      run: (_req, res, [name, sid]) => removePermission(res, name!, sid!),
    },
  ];

  async function restore(): Promise<void> {
    if (!file) return;
    for (const fn of await file.load()) {
      try {
        await install(fn, fn.name, fn.latest, "$LATEST");
        for (const [version, state] of Object.entries(fn.versions))
          await install(fn, `${fn.name}:${version}`, state, version);
        created.set(fn.name, fn);
      } catch (error) {
        logger.error("a created function could not be restored from the data folder", {
          functionName: fn.name,
          error: String(error),
        });
      }
    }
  }
  const restored = restore();
  restored.catch((error: unknown) =>
    logger.error("created functions could not be restored", { error: String(error) }),
  );

  return {
    restored: restored.catch(() => undefined),

    async handle(req, res, url) {
      for (const route of routes) {
        if (req.method !== route.method) continue;
        const match = route.pattern.exec(url.pathname);
        if (!match) continue;
        const params = match.slice(1).map((part) => {
          try {
            return decodeURIComponent(part);
          } catch {
            return part;
          }
        });
        try {
          await route.run(req, res, params, url.searchParams);
        } catch (error) {
          if (!(error instanceof LambdaApiError)) throw error;
          req.resume();
          sendError(res, error);
        }
        return true;
      }
      return false;
    },

    resolveKey(name, qualifier) {
      if (qualifier === undefined || qualifier === "$LATEST") return name;
      const fn = created.get(name);
      if (!fn) return undefined;
      const version = /^\d+$/.test(qualifier) ? qualifier : fn.aliases[qualifier]?.functionVersion;
      if (version === undefined) return undefined;
      if (version === "$LATEST") return name;
      return fn.versions[version] ? `${name}:${version}` : undefined;
    },

    async close() {
      if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
    },
  };
}
