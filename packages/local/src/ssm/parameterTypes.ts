/** Parameter types AWS Parameter Store knows. */
export const ParameterType = {
  String: "String",
  StringList: "StringList",
  SecureString: "SecureString",
} as const;
export type ParameterType = (typeof ParameterType)[keyof typeof ParameterType];

/** Storage tiers; they only change the value size limit here. */
export const ParameterTier = {
  Standard: "Standard",
  Advanced: "Advanced",
  IntelligentTiering: "Intelligent-Tiering",
} as const;
export type ParameterTier = (typeof ParameterTier)[keyof typeof ParameterTier];

/** One version of a parameter, as persisted. */
export interface ParameterVersion {
  readonly version: number;
  readonly type: ParameterType;
  readonly value: string;
  readonly tier: Exclude<ParameterTier, "Intelligent-Tiering">;
  readonly dataType: string;
  /** Epoch ms. */
  readonly lastModified: number;
  readonly description?: string;
  readonly keyId?: string;
  readonly allowedPattern?: string;
}

/** A parameter and its retained versions, oldest first. */
export interface StoredParameter {
  readonly name: string;
  readonly versions: readonly ParameterVersion[];
}

/** A parameter as the read operations return it. */
export interface ParameterView {
  readonly name: string;
  readonly type: ParameterType;
  readonly value: string;
  readonly version: number;
  /** Epoch ms. */
  readonly lastModified: number;
  readonly arn: string;
  readonly dataType: string;
  readonly selector?: string;
}

export interface PutParameterInput {
  readonly name: string;
  readonly value: string;
  readonly type?: string;
  readonly overwrite?: boolean;
  readonly description?: string;
  readonly keyId?: string;
  readonly allowedPattern?: string;
  readonly tier?: string;
  readonly dataType?: string;
  readonly hasTags?: boolean;
}

/** GetParametersByPath filters (`Type`, `KeyId`, `Tier`, `DataType` with option `Equals`). */
export interface ParameterFilter {
  readonly key: string;
  readonly option?: string;
  readonly values?: readonly string[];
}

export interface GetByPathInput {
  readonly path: string;
  readonly recursive?: boolean;
  readonly maxResults?: number;
  readonly nextToken?: string;
  readonly withDecryption?: boolean;
  readonly filters?: readonly ParameterFilter[];
}
