/**
 * The parts of a SigV4 credential scope the edge routes on.
 * `Credential=AKID/20261126/us-east-1/sqs/aws4_request` → `{ accessKeyId: "AKID", date: "20261126", region: "us-east-1", service: "sqs" }`.
 */
export interface SigningScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

// The access key may itself contain no "/", so the scope is the last four "/"-separated parts.
const credentialPattern = /Credential=([^,\s]+)/;

/**
 * Reads the credential scope from an `Authorization` header value.
 * Returns `undefined` when the header is absent or is not a SigV4 (`AWS4-HMAC-SHA256`) header,
 * so the caller can answer with an AWS-shaped error instead of guessing a service.
 *
 * @example
 * signingScopeOf("AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=abc")
 * // → { accessKeyId: "test", date: "20261126", region: "us-east-1", service: "ssm" }
 */
export function signingScopeOf(authorization: string | undefined): SigningScope | undefined {
  if (!authorization?.trimStart().startsWith("AWS4-")) return undefined;
  const credential = credentialPattern.exec(authorization)?.[1];
  if (!credential) return undefined;
  const parts = credential.split("/");
  if (parts.length < 5 || parts[parts.length - 1] !== "aws4_request") return undefined;
  const [service, region, date] = [parts[parts.length - 2], parts[parts.length - 3], parts[parts.length - 4]];
  const accessKeyId = parts.slice(0, parts.length - 4).join("/");
  if (!service || !region || !date || !accessKeyId) return undefined;
  return { accessKeyId, date, region, service };
}
