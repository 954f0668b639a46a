/** The session token a function's SDK signs with locally: it names the function. */
export function sessionTokenOf(functionName: string): string {
  return `${localSessionTokenPrefix}${functionName}`;
}
/** What every local function's session token starts with (the edge reads the caller from the rest). */
export const localSessionTokenPrefix = "local-lambda:";
