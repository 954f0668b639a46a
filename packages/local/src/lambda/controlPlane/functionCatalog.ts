import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Logger } from "@sqs-dispatcher/core";
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
import { invalid } from "./controlPlaneRequest.js";
import { type CreatedFunction, createdFunctionFile, type FunctionState } from "./createdFunctions.js";
import type { FunctionHost } from "./functionHost.js";
import { ControlPlaneErrorType, LambdaApiError } from "./lambdaApiError.js";

/** Options of {@link createFunctionCatalog}. */
export interface FunctionCatalogOptions {
  host: FunctionHost;
  region: string;
  accountId: string;
  logger: Pick<Logger, "info" | "warn" | "error">;
  /** Created functions persist under `<dataDir>/lambda`; without it they live in a temporary folder. */
  dataDir?: string;
}

/** The functions created through the API, their code folders, and how they reach the host. */
export interface FunctionCatalog {
  readonly host: FunctionHost;
  readonly logger: Pick<Logger, "info" | "warn" | "error">;
  /** Created functions by name. */
  readonly created: Map<string, CreatedFunction>;
  /** The function's ARN in this region and account, with its qualifier when given. */
  arnOf(name: string, qualifier?: string): string;
  /** Lambda's `ResourceNotFoundException` for the function (or its version). */
  notFound(name: string, qualifier?: string): LambdaApiError;
  /** The function a path names (name, partial or full ARN), in this region and account. */
  nameOf(raw: string): { name: string; qualifier?: string };
  /** The created function of this name; refused for a registry-deployed or unknown one. */
  createdOrThrow(name: string): CreatedFunction;
  /** Refuses a configuration the local service would not run. */
  validate(fn: CreatedFunction, state: FunctionState): void;
  /** Installs `state` of `fn` under `key` (`name` or `name:version`). */
  install(fn: CreatedFunction, key: string, state: FunctionState, version: string): Promise<void>;
  /** Unpacks a ZipFile upload into the function's own folder. */
  unpack(
    name: string,
    zipBase64: string | undefined,
    handler: string,
    code: { S3Bucket?: string | undefined; ImageUri?: string | undefined },
  ): Promise<FunctionState["code"]>;
  /** Publishes `$LATEST` as the next version (or returns the last one when nothing changed). */
  publish(fn: CreatedFunction, description: string | undefined): Promise<string>;
  /** Lambda's `FunctionConfiguration` of `key` with the created function's own fields. */
  configurationOf(fn: CreatedFunction, key: string, state: FunctionState): Record<string, unknown>;
  /** Writes the created functions to the data folder, when there is one. */
  persist(): Promise<void>;
  /** Installs the functions kept in the data folder again. */
  restore(): Promise<void>;
  /** Removes the temporary folder, when there is no data folder. */
  close(): Promise<void>;
}

/** Creates the catalog of functions created through the Lambda API. */
export function createFunctionCatalog(options: FunctionCatalogOptions): FunctionCatalog {
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

  const arnOf = (name: string, qualifier?: string) =>
    `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ""}`;

  function notFound(name: string, qualifier?: string): LambdaApiError {
    return new LambdaApiError(
      ControlPlaneErrorType.ResourceNotFound,
      `Function not found: ${arnOf(name, qualifier)}`,
    );
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

  function validate(fn: CreatedFunction, state: FunctionState): void {
    try {
      validateFunctionDefinition(definitionOf(fn, state));
    } catch (error) {
      if (error instanceof InvalidFunctionDefinitionError) throw invalid(error.message);
      throw error;
    }
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
    validate(fn, state);
    await host.install(key, definitionOf(fn, state), await bundleOf(state), version);
  }

  return {
    host,
    logger,
    created,
    arnOf,
    notFound,

    nameOf(raw) {
      const parsed = parseFunctionName(raw);
      if (!parsed || (parsed.region ?? region) !== region || (parsed.accountId ?? accountId) !== accountId) {
        throw notFound(parsed?.name ?? raw);
      }
      return { name: parsed.name, ...(parsed.qualifier ? { qualifier: parsed.qualifier } : {}) };
    },

    createdOrThrow(name) {
      const fn = created.get(name);
      if (fn) return fn;
      if (host.installed(name)) {
        throw invalid(
          `function ${name} is deployed from the registry (dispatcher.config.ts); change it there and deploy, or create your own function with CreateFunction`,
        );
      }
      throw notFound(name);
    },

    validate,
    install,

    async unpack(name, zipBase64, handler, code) {
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
    },

    async publish(fn, description) {
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
    },

    configurationOf(fn, key, state) {
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
    },

    async persist() {
      await file?.save(created.values());
    },

    async restore() {
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
    },

    async close() {
      if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
    },
  };
}
