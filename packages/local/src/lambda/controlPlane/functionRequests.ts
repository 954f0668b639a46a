import { z } from "zod";

/** The Node.js runtimes the local Lambda service runs (on the machine's Node; the name is reported). */
export const supportedRuntimes = ["nodejs20.x", "nodejs22.x", "nodejs24.x"] as const;

const environmentSchema = z.object({ Variables: z.record(z.string(), z.string()).optional() });

/**
 * The request bodies of the control-plane operations, as the AWS CLI and SDK v3 send them. Fields
 * the local service does not model (VPC, layers, tracing, ...) are dropped, not refused: they change
 * nothing about how a function runs here.
 */
export const createFunctionRequest = z.object({
  FunctionName: z.string(),
  Runtime: z.string().optional(),
  Role: z.string(),
  Handler: z.string().optional(),
  Code: z.object({
    ZipFile: z.string().optional(),
    S3Bucket: z.string().optional(),
    ImageUri: z.string().optional(),
  }),
  Description: z.string().optional(),
  Timeout: z.int().optional(),
  MemorySize: z.int().optional(),
  Environment: environmentSchema.optional(),
  Publish: z.boolean().optional(),
  PackageType: z.string().optional(),
});

export const updateFunctionCodeRequest = z.object({
  ZipFile: z.string().optional(),
  S3Bucket: z.string().optional(),
  ImageUri: z.string().optional(),
  Publish: z.boolean().optional(),
  RevisionId: z.string().optional(),
});

export const updateFunctionConfigurationRequest = z.object({
  Role: z.string().optional(),
  Handler: z.string().optional(),
  Description: z.string().optional(),
  Timeout: z.int().optional(),
  MemorySize: z.int().optional(),
  Environment: environmentSchema.optional(),
  Runtime: z.string().optional(),
  RevisionId: z.string().optional(),
});

export const putFunctionConcurrencyRequest = z.object({ ReservedConcurrentExecutions: z.int() });

export const createAliasRequest = z.object({
  Name: z.string(),
  FunctionVersion: z.string(),
  Description: z.string().optional(),
});

export const updateAliasRequest = z.object({
  FunctionVersion: z.string().optional(),
  Description: z.string().optional(),
  RevisionId: z.string().optional(),
});

export const publishVersionRequest = z.object({
  Description: z.string().optional(),
  CodeSha256: z.string().optional(),
  RevisionId: z.string().optional(),
});

export const addPermissionRequest = z.object({
  StatementId: z.string(),
  Action: z.string(),
  Principal: z.string(),
  SourceArn: z.string().optional(),
  SourceAccount: z.string().optional(),
  PrincipalOrgID: z.string().optional(),
  FunctionUrlAuthType: z.string().optional(),
  RevisionId: z.string().optional(),
});
