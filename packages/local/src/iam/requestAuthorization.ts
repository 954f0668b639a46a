import type { IncomingHttpHeaders } from "node:http";

/** One authorization IAM makes for a request: an action on a resource ARN (`*` for actions without resources). */
export interface AuthorizationCheck {
  readonly action: string;
  readonly resource: string;
}

/** Where ARNs are made: the local cloud's region and account. */
export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

/** What the edge knows of a request: its signing service, method, path, headers and (for RPC protocols) body. */
export interface SignedRequest {
  readonly service: string;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The request's operation or resource cannot be told, so IAM's decision cannot be made. */
export class UnauthorizableRequestError extends Error {
  override readonly name = "UnauthorizableRequestError";
}

type Json = Record<string, unknown>;

/** Batch operations IAM authorizes as their single forms (SQS's and DynamoDB's). */
const authorizedAs: Record<string, string> = {
  "sqs:SendMessageBatch": "sqs:SendMessage",
  "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
};

/**
 * The authorizations AWS makes for a request, as IAM sees them: the action (`service:Operation`,
 * batch forms as their single forms where SQS says so) on the ARN of the resource the request names
 * (SQS: the queue of `QueueUrl`/`QueueName`; DynamoDB: the table, or its index; SSM: the parameter of
 * `Name`/`Names`/`Path`; Lambda: the function, with its qualifier; CloudWatch: the alarms, or `*`; SNS:
 * the topic). Requests naming several resources (`BatchGetItem`, `GetParameters`) need every one allowed.
 *
 * @throws UnauthorizableRequestError when the operation is one the local cloud cannot map.
 */
export function authorizationChecksOf(request: SignedRequest, scope: ArnScope): AuthorizationCheck[] {
  switch (request.service) {
    case "sqs":
      return sqsChecks(request, scope);
    case "dynamodb":
      return dynamoDbChecks(request, scope);
    case "ssm":
      return ssmChecks(request, scope);
    case "lambda":
      return lambdaChecks(request, scope);
    case "monitoring":
      return cloudWatchChecks(request, scope);
    case "sns":
      return snsChecks(request, scope);
    case "sts":
      // GetCallerIdentity needs no permission.
      return [];
    default:
      throw new UnauthorizableRequestError(`no IAM mapping for service '${request.service}'`);
  }
}

function targetOperation(headers: IncomingHttpHeaders): string | undefined {
  const target = headers["x-amz-target"];
  return typeof target === "string" ? target.slice(target.lastIndexOf(".") + 1) : undefined;
}

function jsonBody(request: SignedRequest): Json {
  if (request.body.length === 0) return {};
  try {
    const parsed = JSON.parse(request.body.toString("utf8")) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

function required(operation: string | undefined, service: string): string {
  if (operation === undefined) throw new UnauthorizableRequestError(`cannot tell the ${service} operation`);
  return operation;
}

function sqsChecks(request: SignedRequest, scope: ArnScope): AuthorizationCheck[] {
  const operation = required(targetOperation(request.headers), "SQS");
  const body = jsonBody(request);
  const action = authorizedAs[`sqs:${operation}`] ?? `sqs:${operation}`;
  const queueArn = (name: string, account = scope.accountId) =>
    `arn:aws:sqs:${scope.region}:${account}:${name}`;
  if (typeof body.QueueUrl === "string") {
    const [account, name] = new URL(body.QueueUrl, "http://queue.local").pathname.split("/").filter(Boolean);
    if (name === undefined)
      throw new UnauthorizableRequestError(`cannot read a queue from '${body.QueueUrl}'`);
    return [{ action, resource: queueArn(name, account) }];
  }
  if (typeof body.QueueName === "string") {
    const owner = typeof body.QueueOwnerAWSAccountId === "string" ? body.QueueOwnerAWSAccountId : undefined;
    return [{ action, resource: queueArn(body.QueueName, owner) }];
  }
  if (typeof body.SourceArn === "string") return [{ action, resource: body.SourceArn }];
  if (typeof body.TaskHandle === "string") return [{ action, resource: "*" }];
  // ListQueues and ListDeadLetterSourceQueues' account-wide forms.
  return [{ action, resource: "*" }];
}

function dynamoDbChecks(request: SignedRequest, scope: ArnScope): AuthorizationCheck[] {
  const operation = required(targetOperation(request.headers), "DynamoDB");
  const body = jsonBody(request);
  const tableArn = (table: string) => `arn:aws:dynamodb:${scope.region}:${scope.accountId}:table/${table}`;
  const action = `dynamodb:${operation}`;
  if (operation === "BatchGetItem" || operation === "BatchWriteItem") {
    const tables = Object.keys((body.RequestItems ?? {}) as Json);
    return tables.map((table) => ({ action, resource: tableArn(table) }));
  }
  if (operation === "TransactWriteItems" || operation === "TransactGetItems") {
    const items = (body.TransactItems ?? []) as Record<string, { TableName?: string }>[];
    const kinds: Record<string, string> = {
      Put: "dynamodb:PutItem",
      Update: "dynamodb:UpdateItem",
      Delete: "dynamodb:DeleteItem",
      ConditionCheck: "dynamodb:ConditionCheckItem",
      Get: "dynamodb:GetItem",
    };
    return items.flatMap((item) =>
      Object.entries(item).flatMap(([kind, spec]) =>
        typeof spec?.TableName === "string" && kinds[kind]
          ? [{ action: kinds[kind], resource: tableArn(spec.TableName) }]
          : [],
      ),
    );
  }
  if (typeof body.TableName === "string") {
    const index = typeof body.IndexName === "string" ? `/index/${body.IndexName}` : "";
    return [{ action, resource: `${tableArn(body.TableName)}${index}` }];
  }
  return [{ action, resource: "*" }];
}

function ssmChecks(request: SignedRequest, scope: ArnScope): AuthorizationCheck[] {
  const operation = required(targetOperation(request.headers), "SSM");
  const body = jsonBody(request);
  const action = `ssm:${operation}`;
  const parameterArn = (name: string) =>
    `arn:aws:ssm:${scope.region}:${scope.accountId}:parameter/${name.replace(/^\/+/, "")}`;
  if (typeof body.Name === "string") return [{ action, resource: parameterArn(body.Name) }];
  if (Array.isArray(body.Names)) {
    return body.Names.filter((n): n is string => typeof n === "string").map((n) => ({
      action,
      resource: parameterArn(n),
    }));
  }
  // GetParametersByPath is authorized on the path itself, without its trailing slash.
  if (typeof body.Path === "string")
    return [{ action, resource: parameterArn(body.Path.replace(/\/+$/, "")) }];
  return [{ action, resource: "*" }];
}

/** Lambda's REST paths, most specific first: `[method, pattern, IAM action]`. */
const lambdaRoutes: readonly [string | undefined, RegExp, string][] = [
  ["POST", /^\/2015-03-31\/functions\/([^/]+)\/invocations$/, "lambda:InvokeFunction"],
  ["POST", /^\/2014-11-13\/functions\/([^/]+)\/invoke-async\/?$/, "lambda:InvokeFunction"],
  ["GET", /^\/2015-03-31\/functions\/([^/]+)\/configuration$/, "lambda:GetFunctionConfiguration"],
  [undefined, /^\/2017-10-31\/functions\/([^/]+)\/concurrency$/, "lambda:GetFunctionConcurrency"],
  [undefined, /^\/2019-09-30\/functions\/([^/]+)\/concurrency$/, "lambda:GetFunctionConcurrency"],
  ["GET", /^\/2024-08-31\/functions\/([^/]+)\/recursion-config$/, "lambda:GetFunctionRecursionConfig"],
  ["GET", /^\/2015-03-31\/functions\/([^/]+)$/, "lambda:GetFunction"],
  ["GET", /^\/2015-03-31\/functions\/?$/, "lambda:ListFunctions"],
  ["GET", /^\/2016-08-19\/account-settings\/?$/, "lambda:GetAccountSettings"],
];

function lambdaChecks(request: SignedRequest, scope: ArnScope): AuthorizationCheck[] {
  const url = new URL(request.url ?? "/", "http://lambda.local");
  const path = url.pathname;
  for (const [method, pattern, action] of lambdaRoutes) {
    if (method !== undefined && method !== request.method) continue;
    const match = pattern.exec(path);
    if (!match) continue;
    const identifier = match[1];
    if (identifier === undefined) return [{ action, resource: "*" }];
    return [
      {
        action,
        resource: functionArnOf(decodeURIComponent(identifier), url.searchParams.get("Qualifier"), scope),
      },
    ];
  }
  throw new UnauthorizableRequestError(`no IAM mapping for Lambda ${request.method} ${path}`);
}

/** A function's ARN from a name, partial ARN (`account:function:name`) or full ARN, with the qualifier when given. */
export function functionArnOf(identifier: string, qualifier: string | null, scope: ArnScope): string {
  let region = scope.region;
  let account = scope.accountId;
  let name = identifier;
  let version: string | undefined;
  const parts = identifier.split(":");
  if (identifier.startsWith("arn:")) {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    region = parts[3] ?? region;
    account = parts[4] ?? account;
    name = parts[6] ?? name;
    version = parts[7];
  } else if (parts[1] === "function") {
    account = parts[0] ?? account;
    name = parts[2] ?? name;
    version = parts[3];
  } else if (parts.length === 2) {
    name = parts[0] ?? name;
    version = parts[1];
  }
  const suffix = qualifier ?? version;
  return `arn:aws:lambda:${region}:${account}:function:${name}${suffix ? `:${suffix}` : ""}`;
}

function cloudWatchChecks(request: SignedRequest, scope: ArnScope): AuthorizationCheck[] {
  const path = (request.url ?? "").split("?")[0] ?? "";
  const cbor = /\/operation\/([A-Za-z]+)$/.exec(path)?.[1];
  const operation = required(targetOperation(request.headers) ?? cbor, "CloudWatch");
  const action = `cloudwatch:${operation}`;
  const alarmArn = (name: string) => `arn:aws:cloudwatch:${scope.region}:${scope.accountId}:alarm:${name}`;
  // The CBOR protocol's body is not JSON: its alarm names are not read, so the checks use the wildcard forms.
  const body = cbor === undefined ? jsonBody(request) : {};
  if (typeof body.AlarmName === "string") return [{ action, resource: alarmArn(body.AlarmName) }];
  if (Array.isArray(body.AlarmNames) && body.AlarmNames.length > 0) {
    return body.AlarmNames.filter((n): n is string => typeof n === "string").map((n) => ({
      action,
      resource: alarmArn(n),
    }));
  }
  // DescribeAlarms without names lists alarms: IAM authorizes it on every alarm of the account.
  if (operation === "DescribeAlarms" || operation === "DescribeAlarmHistory") {
    return [{ action, resource: alarmArn("*") }];
  }
  return [{ action, resource: "*" }];
}

function snsChecks(request: SignedRequest, scope: ArnScope): AuthorizationCheck[] {
  const form = new URLSearchParams(request.body.toString("utf8"));
  const json = targetOperation(request.headers) !== undefined ? jsonBody(request) : {};
  const operation = required(targetOperation(request.headers) ?? form.get("Action") ?? undefined, "SNS");
  const action = `sns:${operation}`;
  const topicArn = (json.TopicArn as string | undefined) ?? form.get("TopicArn") ?? undefined;
  if (topicArn !== undefined) return [{ action, resource: topicArn }];
  const name = (json.Name as string | undefined) ?? form.get("Name") ?? undefined;
  if (operation === "CreateTopic" && name !== undefined) {
    return [{ action, resource: `arn:aws:sns:${scope.region}:${scope.accountId}:${name}` }];
  }
  return [{ action, resource: "*" }];
}
