import type { FunctionBundle } from "../bundleFunction.js";
import type { LocalFunctionDefinition } from "../functionDefinition.js";

/**
 * What the Lambda control plane needs of the service that runs functions. A function's versions are
 * installed under `name:version`; the bare name is `$LATEST`.
 */
export interface FunctionHost {
  /** Installs or replaces `key` with this code: warm environments of the previous code are retired. */
  install(key: string, def: LocalFunctionDefinition, bundle: FunctionBundle, version: string): Promise<void>;
  /** Removes `key`; running invocations finish first. */
  remove(key: string): Promise<void>;
  /** The definition and code of `key`, when installed. */
  installed(key: string): { def: LocalFunctionDefinition; bundle: FunctionBundle } | undefined;
  /** Lambda's `FunctionConfiguration` of `key`. */
  configuration(key: string): Record<string, unknown> | undefined;
  /** Sets reserved concurrency in place (warm environments stay); undefined removes it. */
  setReservedConcurrency(name: string, value: number | undefined): void;
}
