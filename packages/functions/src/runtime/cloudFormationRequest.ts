import { type CloudFormationClient, DescribeStackResourceCommand } from "@aws-sdk/client-cloudformation";
import { DispatcherError } from "@sqs-dispatcher/config";
import { z } from "zod";

/**
 * A CloudFormation custom resource request, as CloudFormation sends it to the function named by
 * the resource's `ServiceToken`. Loose: a field CloudFormation adds one day must not fail deploys.
 */
export const cloudFormationRequestSchema = z
  .looseObject({
    RequestType: z.enum(["Create", "Update", "Delete"]),
    ServiceToken: z.string().min(1),
    ResponseURL: z.url({ protocol: /^https$/ }),
    StackId: z.string().min(1),
    RequestId: z.string().min(1),
    LogicalResourceId: z.string().min(1),
    ResourceType: z.string().min(1),
    PhysicalResourceId: z.string().min(1).optional(),
    ResourceProperties: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((request, ctx) => {
    if (request.RequestType !== "Create" && request.PhysicalResourceId === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["PhysicalResourceId"],
        message: `a ${request.RequestType} request names the resource's physical id`,
      });
    }
  });
export type CloudFormationRequest = z.infer<typeof cloudFormationRequestSchema>;

/** A request that is not CloudFormation's for this stack's resource; nothing is done or answered. */
export class ForgedRequestError extends DispatcherError {
  override readonly name = "ForgedRequestError";
}

/** Which resource of which stack a function serves. */
export interface CustomResourceIdentity {
  /** The stack's id (its ARN, `AWS::StackId`). */
  stackId: string;
  /** The custom resource's logical id in that stack. */
  logicalResourceId: string;
  /** The region the stack and the function are in. */
  region: string;
}

/**
 * Whether `url` is a pre-signed URL of CloudFormation's response bucket of `region`
 * (`https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/...`, also in the
 * regional `s3.<region>` and `s3-<region>` forms, `.amazonaws.com.cn` in China).
 */
export function isCloudFormationResponseUrl(url: string, region: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "https:" || parsed.port !== "" || parsed.username !== "") return false;
  const bucket = `cloudformation-custom-resource-response-${region.replace(/-/g, "")}`;
  const escaped = region.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${bucket}\\.s3(?:[.-]${escaped})?\\.amazonaws\\.com(?:\\.cn)?$`).test(parsed.hostname);
}

/**
 * Parses a request and checks that it names this stack, this resource and CloudFormation's
 * response bucket of this region.
 *
 * @throws ForgedRequestError when it does not: the caller answers nothing (the response URL is not CloudFormation's).
 */
export function parseCloudFormationRequest(
  input: unknown,
  identity: CustomResourceIdentity,
): CloudFormationRequest {
  const parsed = cloudFormationRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw new ForgedRequestError(
      `not a CloudFormation custom resource request: ${z.prettifyError(parsed.error)}`,
    );
  }
  const request = parsed.data;
  if (request.StackId !== identity.stackId) {
    throw new ForgedRequestError(`the request names stack '${request.StackId}', not this one`, {
      stackId: request.StackId,
    });
  }
  if (request.LogicalResourceId !== identity.logicalResourceId) {
    throw new ForgedRequestError(
      `the request names resource '${request.LogicalResourceId}', not '${identity.logicalResourceId}'`,
    );
  }
  if (!isCloudFormationResponseUrl(request.ResponseURL, identity.region)) {
    throw new ForgedRequestError(
      `the response URL is not CloudFormation's response bucket of ${identity.region} (host '${hostOf(request.ResponseURL)}')`,
    );
  }
  return request;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}

/** Reads a stack resource's status from CloudFormation (`DescribeStackResource`). */
export interface StackResourceStatusReader {
  /** `CREATE_IN_PROGRESS`, `UPDATE_COMPLETE`, ...; undefined when the stack has no such resource. */
  status(stackId: string, logicalResourceId: string): Promise<string | undefined>;
}

/** The {@link StackResourceStatusReader} over the CloudFormation API. */
export function createCloudFormationStatusReader(
  cloudformation: Pick<CloudFormationClient, "send">,
): StackResourceStatusReader {
  return {
    async status(stackId, logicalResourceId) {
      const out = await cloudformation.send(
        new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: logicalResourceId }),
      );
      return out.StackResourceDetail?.ResourceStatus;
    },
  };
}

/**
 * Checks with CloudFormation that the stack is working on the resource the way the request says
 * (a Create while the resource is `CREATE_IN_PROGRESS`, ...): a well-formed request invoked
 * straight into the function between deploys finds the resource `*_COMPLETE` and is refused.
 *
 * @throws ForgedRequestError when CloudFormation is not making that change now.
 */
export async function verifyInProgress(
  request: CloudFormationRequest,
  reader: StackResourceStatusReader,
): Promise<void> {
  const wanted = `${request.RequestType.toUpperCase()}_IN_PROGRESS`;
  const status = await reader.status(request.StackId, request.LogicalResourceId);
  if (status !== wanted) {
    throw new ForgedRequestError(
      `CloudFormation is not making this ${request.RequestType} (resource ${request.LogicalResourceId} is ${status ?? "absent"}, not ${wanted})`,
      { status: status ?? "absent" },
    );
  }
}

/** The body CloudFormation expects at the response URL. */
export interface CloudFormationResponse {
  Status: "SUCCESS" | "FAILED";
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** Sends a response to CloudFormation's pre-signed URL (no content type: the URL is signed without one). */
export type SendCloudFormationResponse = (url: string, response: CloudFormationResponse) => Promise<void>;

/** CloudFormation caps a response at 4,096 bytes; a long reason is cut to fit. */
const reasonMaxChars = 1_500;

/** {@link SendCloudFormationResponse} over `fetch`. */
export const sendCloudFormationResponse: SendCloudFormationResponse = async (url, response) => {
  const body = JSON.stringify({
    ...response,
    ...(response.Reason !== undefined ? { Reason: response.Reason.slice(0, reasonMaxChars) } : {}),
  });
  const res = await fetch(url, { method: "PUT", headers: { "content-type": "" }, body });
  if (!res.ok) {
    throw new DispatcherError(`CloudFormation's response URL answered ${res.status} ${res.statusText}`);
  }
};
