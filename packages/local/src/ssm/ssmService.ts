import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import type { Clock, Logger } from "@sqs-dispatcher/core";
import { sendAwsJson, sendAwsJsonError } from "../edge/awsJsonError.js";
import type { LocalService } from "../edge/localService.js";
import { loadParameterFile, parameterFilePersistence } from "./parameterFile.js";
import { createParameterStore, type ParameterStore } from "./parameterStore.js";
import type { ParameterFilter, ParameterView } from "./parameterTypes.js";
import { missingMember, SsmError, SsmErrorCode } from "./ssmErrors.js";

const CONTENT_TYPE = "application/x-amz-json-1.1";
const TARGET_PREFIX = "AmazonSSM.";
/** Far above any valid request (10 names, 8 KiB values); stops a runaway body from filling memory. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface SsmServiceOptions {
  readonly region: string;
  readonly accountId: string;
  /** Persist parameters in `<dataDir>/ssm.json`; in memory when absent. */
  readonly dataDir?: string;
  readonly clock?: Pick<Clock, "now">;
  readonly logger?: Pick<Logger, "debug" | "info" | "warn" | "error">;
}

/** The local SSM Parameter Store, a {@link LocalService} speaking AWS JSON 1.1 (`X-Amz-Target: AmazonSSM.<Op>`). */
export interface SsmService extends LocalService {
  readonly store: ParameterStore;
}

type Body = Record<string, unknown>;
type Operation = (body: Body) => unknown;

/**
 * Builds the SSM service: PutParameter, GetParameter, GetParameters, GetParametersByPath,
 * DeleteParameter and DeleteParameters with AWS's error names.
 */
export async function createSsmService(options: SsmServiceOptions): Promise<SsmService> {
  const file = options.dataDir === undefined ? undefined : join(options.dataDir, "ssm.json");
  const store = createParameterStore({
    region: options.region,
    accountId: options.accountId,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(file ? { initial: await loadParameterFile(file), persistence: parameterFilePersistence(file) } : {}),
  });
  const operations = ssmOperations(store);

  return {
    signingNames: ["ssm"],
    store,
    async handle(req, res) {
      const target = header(req, "x-amz-target") ?? "";
      const operation = target.startsWith(TARGET_PREFIX)
        ? operations[target.slice(TARGET_PREFIX.length)]
        : undefined;
      let body: Body;
      try {
        body = await readJsonBody(req);
        if (!operation) {
          throw new SsmError(
            SsmErrorCode.UnknownOperationException,
            `The local SSM service does not implement ${target || "(no X-Amz-Target)"}; it implements ${Object.keys(operations).join(", ")}.`,
          );
        }
        sendAwsJson(res, 200, operation(body), CONTENT_TYPE);
      } catch (error) {
        if (!(error instanceof SsmError)) throw error;
        options.logger?.debug("ssm request refused", { target, code: error.code, message: error.message });
        sendAwsJsonError(res, 400, error.code, error.message, CONTENT_TYPE);
      }
    },
    async close() {
      await store.flush();
    },
  };
}

function ssmOperations(store: ParameterStore): Record<string, Operation> {
  return {
    PutParameter(body) {
      const tags = optionalArray(body, "Tags");
      const result = store.put({
        name: requiredString(body, "Name"),
        value: requiredString(body, "Value"),
        ...defined("type", optionalString(body, "Type")),
        ...defined("overwrite", optionalBoolean(body, "Overwrite")),
        ...defined("description", optionalString(body, "Description")),
        ...defined("keyId", optionalString(body, "KeyId")),
        ...defined("allowedPattern", optionalString(body, "AllowedPattern")),
        ...defined("tier", optionalString(body, "Tier")),
        ...defined("dataType", optionalString(body, "DataType")),
        hasTags: tags !== undefined && tags.length > 0,
      });
      return { Version: result.version, Tier: result.tier };
    },
    GetParameter(body) {
      return { Parameter: toWire(store.get(requiredString(body, "Name"), withDecryption(body))) };
    },
    GetParameters(body) {
      const result = store.getMany(requiredStrings(body, "Names"), withDecryption(body));
      return { Parameters: result.parameters.map(toWire), InvalidParameters: result.invalid };
    },
    GetParametersByPath(body) {
      const result = store.getByPath({
        path: requiredString(body, "Path"),
        ...defined("recursive", optionalBoolean(body, "Recursive")),
        ...defined("maxResults", optionalNumber(body, "MaxResults")),
        ...defined("nextToken", optionalString(body, "NextToken")),
        withDecryption: withDecryption(body),
        ...defined("filters", parameterFilters(body)),
      });
      return {
        Parameters: result.parameters.map(toWire),
        ...(result.nextToken === undefined ? {} : { NextToken: result.nextToken }),
      };
    },
    DeleteParameter(body) {
      store.delete(requiredString(body, "Name"));
      return {};
    },
    DeleteParameters(body) {
      const result = store.deleteMany(requiredStrings(body, "Names"));
      return { DeletedParameters: result.deleted, InvalidParameters: result.invalid };
    },
  };
}

/** AWS JSON protocols send timestamps as epoch seconds. */
function toWire(parameter: ParameterView): Record<string, unknown> {
  return {
    Name: parameter.name,
    Type: parameter.type,
    Value: parameter.value,
    Version: parameter.version,
    LastModifiedDate: parameter.lastModified / 1000,
    ARN: parameter.arn,
    DataType: parameter.dataType,
    ...(parameter.selector === undefined ? {} : { Selector: parameter.selector }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readJsonBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new SsmError(
        SsmErrorCode.ValidationException,
        `request body is larger than ${MAX_BODY_BYTES} bytes`,
      );
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SsmError(SsmErrorCode.SerializationException, "the request body is not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SsmError(SsmErrorCode.SerializationException, "the request body must be a JSON object");
  }
  return parsed as Body;
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

const memberName = (key: string) => key.charAt(0).toLowerCase() + key.slice(1);

function wrongType(key: string, expected: string): SsmError {
  return new SsmError(SsmErrorCode.SerializationException, `${key} must be ${expected}`, { member: key });
}

function optionalString(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw wrongType(key, "a string");
  return value;
}

function requiredString(body: Body, key: string): string {
  const value = optionalString(body, key);
  if (value === undefined) throw missingMember(memberName(key));
  return value;
}

function optionalBoolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw wrongType(key, "a boolean");
  return value;
}

function optionalNumber(body: Body, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number") throw wrongType(key, "a number");
  return value;
}

function optionalArray(body: Body, key: string): unknown[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(key, "a list");
  return value;
}

function requiredStrings(body: Body, key: string): string[] {
  const value = optionalArray(body, key);
  if (value === undefined) throw missingMember(memberName(key));
  if (!value.every((item): item is string => typeof item === "string"))
    throw wrongType(key, "a list of strings");
  return value;
}

function withDecryption(body: Body): boolean {
  return optionalBoolean(body, "WithDecryption") ?? false;
}

function parameterFilters(body: Body): ParameterFilter[] | undefined {
  const filters = optionalArray(body, "ParameterFilters");
  return filters?.map((item) => {
    if (item === null || typeof item !== "object") throw wrongType("ParameterFilters", "a list of filters");
    const filter = item as Body;
    const values = optionalArray(filter, "Values");
    return {
      key: requiredString(filter, "Key"),
      ...defined("option", optionalString(filter, "Option")),
      ...defined("values", values?.map(String)),
    };
  });
}
