import { DispatcherError } from "@sqs-dispatcher/core";

/** Lambda's `RecursiveLoop` setting (PutFunctionRecursionConfig). */
export const RecursiveLoop = {
  /** The chain may go on indefinitely (the poller's recursive loops need this). */
  Allow: "Allow",
  /** AWS's default: a chain of about 16 invocations is stopped. */
  Terminate: "Terminate",
} as const;
export type RecursiveLoop = (typeof RecursiveLoop)[keyof typeof RecursiveLoop];

/**
 * A function registered with the local Lambda service, the local counterpart of a deployed function.
 *
 * @example
 * await lambda.register({
 *   name: "poller",
 *   handler: "packages/functions/src/poller.handler",
 *   timeoutSec: 60,
 *   memoryMb: 512,
 *   recursiveLoop: "Allow",
 * });
 */
export interface LocalFunctionDefinition {
  /** Function name, as in `arn:aws:lambda:REGION:ACCOUNT:function:NAME` (1–64 of `[A-Za-z0-9_-]`). */
  name: string;
  /**
   * `path/to/module.exportName`: the module path is absolute or relative to the working directory,
   * with or without its `.ts`/`.js` extension.
   */
  handler: string;
  /** 1–900 seconds, as on AWS. */
  timeoutSec: number;
  /** 128–10240 MB, as on AWS (reported to the handler; not enforced). */
  memoryMb: number;
  environment?: Record<string, string>;
  /** Concurrent executions allowed; more are throttled with `TooManyRequestsException`. */
  reservedConcurrency?: number;
  /** Defaults to `Terminate`, as on AWS. */
  recursiveLoop?: RecursiveLoop;
  /** The Node.js runtime reported (`nodejs22.x`); functions run on the machine's Node. Default `nodejs20.x`. */
  runtime?: string;
  /** The execution role reported (CreateFunction's `Role`); default `arn:aws:iam::<account>:role/<name>-role`. */
  role?: string;
  description?: string;
}

/** A function definition that AWS would refuse (bad name, timeout, memory, handler). */
export class InvalidFunctionDefinitionError extends DispatcherError {
  override readonly name = "InvalidFunctionDefinitionError";
}

const functionNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks a definition against AWS's limits, so a registry that works locally also deploys. */
export function validateFunctionDefinition(def: LocalFunctionDefinition): void {
  const fail = (message: string): never => {
    throw new InvalidFunctionDefinitionError(`function ${JSON.stringify(def.name)}: ${message}`, {
      functionName: def.name,
    });
  };
  if (!functionNamePattern.test(def.name)) fail("name must be 1-64 characters of letters, digits, - and _");
  if (!Number.isInteger(def.timeoutSec) || def.timeoutSec < 1 || def.timeoutSec > 900) {
    fail("timeoutSec must be an integer between 1 and 900");
  }
  if (!Number.isInteger(def.memoryMb) || def.memoryMb < 128 || def.memoryMb > 10240) {
    fail("memoryMb must be an integer between 128 and 10240");
  }
  if (
    def.reservedConcurrency !== undefined &&
    (!Number.isInteger(def.reservedConcurrency) || def.reservedConcurrency < 0)
  ) {
    fail("reservedConcurrency must be a non-negative integer");
  }
  if (def.recursiveLoop !== undefined && !Object.values(RecursiveLoop).includes(def.recursiveLoop)) {
    fail(`recursiveLoop must be "Allow" or "Terminate"`);
  }
  const dot = def.handler.lastIndexOf(".");
  if (dot <= 0 || dot === def.handler.length - 1) fail(`handler must look like "path/to/module.exportName"`);
  for (const [key, value] of Object.entries(def.environment ?? {})) {
    if (!/^[a-zA-Z]\w*$/.test(key)) fail(`environment variable name ${JSON.stringify(key)} is invalid`);
    if (typeof value !== "string") fail(`environment variable ${key} must be a string`);
  }
}
