import { randomBytes } from "node:crypto";

/** The credentials a local function runs with: an access key that names its role at the edge. */
export interface FunctionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * The local cloud's credentials registry: each function gets its own access key (as Lambda gives each
 * function its role's session credentials), and the edge maps a request's access key back to the
 * function, and so to its role. Keys not issued here (`test`, the CLI's, a test's) are the operator's.
 */
export interface LocalCredentials {
  /** The function's access key, issued on first use and stable for the cloud's life. */
  issue(functionName: string): FunctionCredentials;
  /** The function an access key was issued to, or `undefined` for the operator's keys. */
  functionOf(accessKeyId: string): string | undefined;
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `ASIA` + 16 base-32 characters: the shape of an AWS session access key id. */
function newAccessKeyId(): string {
  const bytes = randomBytes(16);
  let id = "ASIA";
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/**
 * @example
 * const credentials = createLocalCredentials();
 * const { accessKeyId } = credentials.issue("poller");
 * credentials.functionOf(accessKeyId) // "poller"
 */
export function createLocalCredentials(): LocalCredentials {
  const byFunction = new Map<string, FunctionCredentials>();
  const byKey = new Map<string, string>();
  return {
    issue(functionName) {
      let issued = byFunction.get(functionName);
      if (!issued) {
        issued = { accessKeyId: newAccessKeyId(), secretAccessKey: randomBytes(20).toString("base64") };
        byFunction.set(functionName, issued);
        byKey.set(issued.accessKeyId, functionName);
      }
      return issued;
    },
    functionOf: (accessKeyId) => byKey.get(accessKeyId),
  };
}
