import { ParameterTier, ParameterType, type ParameterVersion } from "./parameterTypes.js";
import { SsmError, SsmErrorCode } from "./ssmErrors.js";

/** A Standard parameter's value limit, in characters. */
const STANDARD_VALUE_LIMIT = 4096;
/** An Advanced parameter's value limit, in characters. */
const ADVANCED_VALUE_LIMIT = 8192;
/** The KMS key a SecureString uses when the request names none. */
export const DEFAULT_KEY_ID = "alias/aws/ssm";
/** The most names or results one request takes or returns. */
export const MAX_PAGE = 10;

/**
 * What a SecureString read without `WithDecryption` shows instead of the value. Not encryption (the
 * local cloud holds no keys): it only makes a forgotten `WithDecryption` visible, as on AWS.
 */
export function sealed(version: ParameterVersion): string {
  return Buffer.from(`local-kms:${version.keyId ?? DEFAULT_KEY_ID}:${version.value}`).toString("base64");
}

/** The type a new version takes; AWS requires one when the parameter is created. */
export function parseType(type: string | undefined): ParameterType {
  if (type === undefined) {
    throw new SsmError(
      SsmErrorCode.ValidationException,
      "A parameter type is required when you create a parameter.",
    );
  }
  if (!Object.values(ParameterType).includes(type as ParameterType)) {
    throw new SsmError(
      SsmErrorCode.ValidationException,
      `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
    );
  }
  return type as ParameterType;
}

/** The tier a new version lands in, and whether its value fits that tier's limit. */
export function resolveTier(
  requested: string | undefined,
  value: string,
  previous: ParameterVersion["tier"] | undefined,
): ParameterVersion["tier"] {
  if (requested !== undefined && !Object.values(ParameterTier).includes(requested as ParameterTier)) {
    throw new SsmError(
      SsmErrorCode.ValidationException,
      `1 validation error detected: Value '${requested}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]`,
    );
  }
  // Standard is AWS's default tier; Intelligent-Tiering picks Advanced only when the value needs it.
  const tier =
    requested === ParameterTier.IntelligentTiering
      ? value.length > STANDARD_VALUE_LIMIT
        ? ParameterTier.Advanced
        : ParameterTier.Standard
      : ((requested ?? previous ?? ParameterTier.Standard) as ParameterVersion["tier"]);
  // AWS never moves an Advanced parameter back to Standard.
  const effective = previous === ParameterTier.Advanced ? ParameterTier.Advanced : tier;
  const limit = effective === ParameterTier.Advanced ? ADVANCED_VALUE_LIMIT : STANDARD_VALUE_LIMIT;
  if (value.length > limit) {
    throw new SsmError(
      SsmErrorCode.ValidationException,
      // AWS's own wording (a Standard parameter's also says how to get more room).
      effective === ParameterTier.Advanced
        ? `Advanced tier parameters support a maximum parameter value of ${limit} characters.`
        : `Standard tier parameters support a maximum parameter value of ${limit} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html`,
    );
  }
  return effective;
}

/** Refuses a value the parameter's `AllowedPattern` does not match. */
export function checkAllowedPattern(pattern: string, value: string): void {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch {
    throw new SsmError(
      SsmErrorCode.ValidationException,
      `AllowedPattern ${pattern} is not a valid regular expression.`,
    );
  }
  if (!regex.test(value)) {
    throw new SsmError(
      SsmErrorCode.ParameterPatternMismatchException,
      `Parameter value, cannot be validated against allowedPattern: ${pattern}`,
    );
  }
}

/** Refuses a request naming fewer than 1 or more than {@link MAX_PAGE} parameters. */
export function checkNameCount(names: readonly string[]): void {
  if (names.length < 1 || names.length > MAX_PAGE) {
    throw new SsmError(
      SsmErrorCode.ValidationException,
      `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and ${MAX_PAGE}`,
    );
  }
}
