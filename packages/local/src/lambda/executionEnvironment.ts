import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";
import type { Logger } from "@sqs-dispatcher/core";
import type { BootstrapData, FunctionErrorPayload, InvokeMessage, WorkerMessage } from "./workerProtocol.js";

/** What one invocation in an execution environment came to. */
export type InvocationOutcome =
  | { ok: true; payload: string; logTail: string }
  | {
      ok: false;
      error: FunctionErrorPayload;
      logTail: string;
      /** The function ran past its timeout (`Sandbox.Timedout`). */
      timedOut: boolean;
    };

/** One invocation handed to an environment. */
export interface EnvironmentInvocation extends Omit<InvokeMessage, "type" | "deadlineMs"> {
  /** Collect the invocation's log lines for `X-Amz-Log-Type: Tail`. */
  collectLogs: boolean;
}

export interface ExecutionEnvironmentOptions {
  bootstrapPath: string;
  bootstrap: BootstrapData;
  timeoutSec: number;
  /** The worker's whole `process.env`. */
  env: Record<string, string>;
  logger: Logger;
  /** Sees every line of the function's output (the local CloudWatch reads EMF metrics from it). */
  onOutput?: (line: string) => void;
  /** Called once when the environment is gone (worker exited, timed out, terminated). */
  onGone: (environment: ExecutionEnvironment) => void;
}

/** How much of an invocation's log `X-Amz-Log-Result` carries (AWS: the last 4 KB). */
const logTailBytes = 4096;

/**
 * One Lambda execution environment: a worker thread that keeps the handler module loaded between
 * invocations and runs one invocation at a time. The timeout is enforced from outside by
 * terminating the worker, as Lambda does by freezing and discarding the sandbox.
 */
/** Lambda's limit on an environment's init phase, which does not count against the function's timeout. */
const initLimitMs = 10_000;

export class ExecutionEnvironment {
  readonly id = randomUUID();
  /** Epoch ms of the end of the last invocation (or of creation). */
  lastUsedAt = Date.now();
  /** Set when a re-register or unregister retired this environment: it takes no new invocation. */
  retired = false;
  private readonly worker: Worker;
  private readonly ready: Promise<FunctionErrorPayload | undefined>;
  private current:
    | {
        requestId: string;
        resolve: (outcome: InvocationOutcome) => void;
        timer: NodeJS.Timeout;
        logs: string[] | undefined;
        payload: string;
        startedAt: number;
      }
    | undefined;
  private gone = false;
  /** Set once the init phase finished: later invocations are warm. */
  private initialized = false;
  private goneReason: FunctionErrorPayload | undefined;

  constructor(private readonly options: ExecutionEnvironmentOptions) {
    this.worker = new Worker(options.bootstrapPath, {
      workerData: options.bootstrap,
      env: options.env,
      name: `lambda:${options.bootstrap.functionName}`,
      stdout: true,
      stderr: true,
    });
    let settleReady: (error: FunctionErrorPayload | undefined) => void = () => {};
    this.ready = new Promise((resolve) => {
      settleReady = resolve;
    });
    this.worker.on("message", (message: WorkerMessage) => {
      switch (message.type) {
        case "ready":
          this.initialized = true;
          settleReady(undefined);
          break;
        case "initError":
          settleReady(message.error);
          break;
        case "log":
          this.forwardLog(message.level, message.text, message.requestId);
          break;
        case "result":
          if (this.current?.requestId === message.requestId) {
            this.finish(
              message.ok
                ? { ok: true, payload: message.payload, logTail: "" }
                : { ok: false, error: message.error, logTail: "", timedOut: false },
            );
          }
          break;
      }
    });
    this.worker.on("error", (error: Error) => {
      // An uncaught exception or unhandled rejection ends the worker (and so the environment).
      this.goneReason = {
        errorType: error.name === "Error" ? "Runtime.UnhandledError" : error.name,
        errorMessage: error.message,
        trace: (error.stack ?? "").split("\n"),
      };
    });
    this.worker.on("exit", (code) => {
      const reason = this.goneReason ?? {
        errorType: "Runtime.ExitError",
        errorMessage: `RequestId: ${this.current?.requestId ?? "-"} Error: Runtime exited with error: exit status ${code}`,
      };
      settleReady(reason);
      this.markGone(reason);
    });
    // Output that bypasses console (process.stdout.write, Powertools' own Console) is not lost:
    // it is forwarded line by line, attributed to the invocation running at the time.
    for (const [stream, level] of [
      [this.worker.stdout, "INFO"],
      [this.worker.stderr, "ERROR"],
    ] as const) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
        this.forwardLog(level, line, this.current?.requestId);
      });
    }
  }

  /** The invocation running here, if any: what the soak inspects to find loops on lost tokens. */
  get running(): { requestId: string; payload: string; startedAt: number } | undefined {
    const c = this.current;
    return c && { requestId: c.requestId, payload: c.payload, startedAt: c.startedAt };
  }

  /** True while an invocation runs here. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  get alive(): boolean {
    return !this.gone;
  }

  /**
   * Runs one invocation (waiting for the init phase first on a cold start). Never rejects: every
   * failure, including the timeout and a crashed worker, comes back as an outcome.
   */
  invoke(invocation: EnvironmentInvocation): Promise<InvocationOutcome> {
    if (this.current) throw new Error(`environment ${this.id} is busy`);
    const startedAt = Date.now();
    const timeoutMs = this.options.timeoutSec * 1000;
    // As on AWS, a cold start's init phase has its own limit (10 s) and the function's timeout runs
    // from the end of init: otherwise a burst of concurrent cold starts on a busy machine times out
    // in init, each timeout discards its environment, and the next invoke starts cold again.
    const cold = !this.initialized;
    return new Promise<InvocationOutcome>((resolve) => {
      const onTimeout = () => {
        if (this.current?.requestId !== invocation.requestId) return;
        const seconds = this.options.timeoutSec.toFixed(2);
        this.finish({
          ok: false,
          error: {
            errorType: "Sandbox.Timedout",
            errorMessage: `RequestId: ${invocation.requestId} Error: Task timed out after ${seconds} seconds`,
          },
          logTail: "",
          timedOut: true,
        });
        // The environment is destroyed, as Lambda discards a sandbox that timed out.
        void this.terminate();
      };
      const timer = setTimeout(onTimeout, cold ? initLimitMs + timeoutMs : timeoutMs);
      this.current = {
        requestId: invocation.requestId,
        resolve,
        timer,
        payload: invocation.payload,
        startedAt,
        logs: invocation.collectLogs
          ? [`START RequestId: ${invocation.requestId} Version: $LATEST`]
          : undefined,
      };
      void this.ready.then((initError) => {
        if (this.current?.requestId !== invocation.requestId) return;
        if (initError) {
          this.finish({ ok: false, error: initError, logTail: "", timedOut: false });
          // An environment whose init failed is discarded; the next invocation starts afresh.
          void this.terminate();
          return;
        }
        let handlerStartedAt = startedAt;
        if (cold) {
          // Init is over: the function's own timeout starts now.
          handlerStartedAt = Date.now();
          clearTimeout(this.current.timer);
          this.current.timer = setTimeout(onTimeout, timeoutMs);
        }
        const message: InvokeMessage = {
          type: "invoke",
          requestId: invocation.requestId,
          payload: invocation.payload,
          deadlineMs: handlerStartedAt + timeoutMs,
          traceId: invocation.traceId,
          invokedFunctionArn: invocation.invokedFunctionArn,
          ...(invocation.clientContext !== undefined ? { clientContext: invocation.clientContext } : {}),
        };
        this.worker.postMessage(message);
      });
    });
  }

  /** Ends the environment at once; an invocation running in it fails as AWS reports a killed runtime. */
  async terminate(): Promise<void> {
    if (this.gone) return;
    this.goneReason ??= {
      errorType: "Runtime.ExitError",
      errorMessage: `RequestId: ${this.current?.requestId ?? "-"} Error: Runtime exited with error: signal: killed`,
    };
    await this.worker.terminate();
    this.markGone(this.goneReason);
  }

  private markGone(reason: FunctionErrorPayload): void {
    if (this.current) this.finish({ ok: false, error: reason, logTail: "", timedOut: false });
    if (this.gone) return;
    this.gone = true;
    this.options.onGone(this);
  }

  private finish(outcome: InvocationOutcome): void {
    const current = this.current;
    if (!current) return;
    clearTimeout(current.timer);
    this.current = undefined;
    this.lastUsedAt = Date.now();
    let logTail = "";
    if (current.logs) {
      if (!outcome.ok) current.logs.push(JSON.stringify(outcome.error));
      current.logs.push(`END RequestId: ${current.requestId}`);
      const text = `${current.logs.join("\n")}\n`;
      const bytes = Buffer.from(text);
      logTail = bytes.subarray(Math.max(0, bytes.length - logTailBytes)).toString("base64");
    }
    current.resolve({ ...outcome, logTail });
  }

  private forwardLog(level: string, text: string, requestId: string | undefined): void {
    const functionName = this.options.bootstrap.functionName;
    const fields = { functionName, requestId, level };
    this.options.onOutput?.(text);
    if (level === "ERROR") this.options.logger.error(text, fields);
    else if (level === "WARN") this.options.logger.warn(text, fields);
    else if (level === "DEBUG" || level === "TRACE") this.options.logger.debug(text, fields);
    else this.options.logger.info(text, fields);
    if (this.current?.logs && this.current.requestId === requestId) {
      this.current.logs.push(`${new Date().toISOString()}\t${requestId}\t${level}\t${text}`);
    }
  }
}
