import { SQSClient } from "@aws-sdk/client-sqs";
import { UsageError } from "./cliErrors.js";

/** What the CLI says when the SDK finds no region: how to give one. */
export const regionMissingMessage =
  "no AWS region: pass --region REGION or set AWS_REGION (or give your AWS profile a region)";

/**
 * The region the SDK's clients will use in AWS mode (`--region`, then `AWS_REGION`, then the
 * profile's `region`), resolved once so commands and the console name it, and so a missing region
 * is a usage error that says how to set it rather than the SDK's bare "Region is missing".
 *
 * @throws UsageError when no region is configured anywhere
 */
export async function resolveAwsRegion(config: { region?: string; profile?: string }): Promise<string> {
  if (config.region !== undefined) return config.region;
  const probe = new SQSClient(config);
  try {
    const region = await probe.config.region();
    if (!region) throw new Error("Region is missing");
    return region;
  } catch (error) {
    throw new UsageError(regionMissingMessage, {}, { cause: error });
  } finally {
    probe.destroy();
  }
}
