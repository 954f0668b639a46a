/**
 * The environment variables the platform's functions read, and the helpers that read them: they
 * live in `@sqs-dispatcher/config`, which the SST stack and the local deploy share.
 */
export {
  EnvVar,
  MissingEnvironmentError,
  optionalEnv,
  optionalSecondsByName,
  requireEnv,
  requireRegion,
  requireSeconds,
} from "@sqs-dispatcher/config";
