/**
 * Reads an optional tuning variable of the local cloud: `undefined` when unset or empty.
 * The one place the local package reads `process.env` for its own settings (it must not import
 * `@sqs-dispatcher/functions`, whose helper names the deployed functions' variables).
 */
export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}
