import { type Clock, systemClock } from "@sqs-dispatcher/core";
import {
  isUnderPath,
  normalizePath,
  parameterArn,
  parseParameterReference,
  validateNewParameterName,
} from "./parameterNames.js";
import { compileFilters, readNextToken, writeNextToken } from "./parameterPaging.js";
import {
  checkAllowedPattern,
  checkNameCount,
  DEFAULT_KEY_ID,
  MAX_PAGE,
  parseType,
  resolveTier,
  sealed,
} from "./parameterRules.js";
import {
  type GetByPathInput,
  ParameterType,
  type ParameterVersion,
  type ParameterView,
  type PutParameterInput,
  type StoredParameter,
} from "./parameterTypes.js";
import { SsmError, SsmErrorCode } from "./ssmErrors.js";

/** AWS keeps the 100 most recent versions of a parameter. */
const MAX_VERSIONS = 100;

/** Where the store keeps its parameters between runs. */
export interface ParameterPersistence {
  save(parameters: readonly StoredParameter[]): Promise<void>;
}

export interface ParameterStoreOptions {
  readonly region: string;
  readonly accountId: string;
  readonly clock?: Pick<Clock, "now">;
  /** Parameters to start from (what a persistence layer loaded). */
  readonly initial?: readonly StoredParameter[];
  readonly persistence?: ParameterPersistence;
}

/** The Parameter Store's semantics, independent of the wire protocol. */
export interface ParameterStore {
  put(input: PutParameterInput): { version: number; tier: string };
  get(reference: string, withDecryption: boolean): ParameterView;
  getMany(
    references: readonly string[],
    withDecryption: boolean,
  ): { parameters: ParameterView[]; invalid: string[] };
  getByPath(input: GetByPathInput): { parameters: ParameterView[]; nextToken?: string };
  delete(name: string): void;
  deleteMany(names: readonly string[]): { deleted: string[]; invalid: string[] };
  /** Resolves once every change so far is persisted. */
  flush(): Promise<void>;
}

/**
 * An in-memory Parameter Store with AWS's rules: versions, overwrite, tiers, allowed patterns,
 * hierarchical paths with paging, and the AWS error names.
 */
export function createParameterStore(options: ParameterStoreOptions): ParameterStore {
  const clock = options.clock ?? systemClock;
  const parameters = new Map<string, StoredParameter>();
  for (const stored of options.initial ?? []) parameters.set(stored.name, stored);

  let saving: Promise<void> = Promise.resolve();
  let saveError: unknown;
  const persist = () => {
    const persistence = options.persistence;
    if (!persistence) return;
    const snapshot = [...parameters.values()];
    // Saves run one after another so an older snapshot never overwrites a newer one.
    saving = saving
      .then(() => persistence.save(snapshot))
      .catch((error: unknown) => {
        saveError = error;
      });
  };

  const notFound = (name: string) =>
    new SsmError(SsmErrorCode.ParameterNotFound, `Parameter ${name} not found.`, { name });

  const view = (
    name: string,
    v: ParameterVersion,
    withDecryption: boolean,
    selector?: string,
  ): ParameterView => ({
    name,
    type: v.type,
    value: v.type === ParameterType.SecureString && !withDecryption ? sealed(v) : v.value,
    version: v.version,
    lastModified: v.lastModified,
    arn: parameterArn(name, options.region, options.accountId),
    dataType: v.dataType,
    ...(selector === undefined ? {} : { selector: `:${selector}` }),
  });

  const resolve = (reference: string, withDecryption: boolean): ParameterView => {
    const ref = parseParameterReference(reference);
    const stored = ref.candidates.map((candidate) => parameters.get(candidate)).find((p) => p !== undefined);
    if (!stored) throw notFound(ref.name);
    if (ref.selector === undefined) return view(stored.name, latest(stored), withDecryption);
    if (!/^\d+$/.test(ref.selector)) {
      throw new SsmError(
        SsmErrorCode.ValidationException,
        `Parameter labels are not supported by the local SSM service (selector ":${ref.selector}")`,
        { reference },
      );
    }
    const wanted = Number(ref.selector);
    const version = stored.versions.find((v) => v.version === wanted);
    if (!version) {
      throw new SsmError(
        SsmErrorCode.ParameterVersionNotFound,
        `Systems Manager could not find version ${wanted} of ${stored.name}. Verify the version and try again.`,
        { name: stored.name, version: wanted },
      );
    }
    return view(stored.name, version, withDecryption, ref.selector);
  };

  return {
    put(input) {
      validateNewParameterName(input.name);
      const existing = parameters.get(input.name);
      if (existing && !input.overwrite) {
        throw new SsmError(
          SsmErrorCode.ParameterAlreadyExists,
          "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
          { name: input.name },
        );
      }
      if (input.overwrite && input.hasTags) {
        throw new SsmError(
          SsmErrorCode.ValidationException,
          "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
        );
      }
      const previous = existing ? latest(existing) : undefined;
      const type = parseType(input.type ?? previous?.type);
      const tier = resolveTier(input.tier, input.value, previous?.tier);
      if (input.value.length === 0) {
        throw new SsmError(
          SsmErrorCode.ValidationException,
          "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
        );
      }
      const dataType = input.dataType ?? previous?.dataType ?? "text";
      if (dataType !== "text") {
        throw new SsmError(
          SsmErrorCode.InvalidDataTypeException,
          `The local SSM service supports the data type "text" only, not "${dataType}".`,
        );
      }
      if (input.description !== undefined && input.description.length > 1024) {
        throw new SsmError(
          SsmErrorCode.ValidationException,
          "Description must be at most 1024 characters long.",
        );
      }
      if (input.keyId !== undefined && type !== ParameterType.SecureString) {
        throw new SsmError(
          SsmErrorCode.ValidationException,
          "KeyId is required for SecureString type parameter only.",
        );
      }
      const allowedPattern = input.allowedPattern ?? previous?.allowedPattern;
      if (allowedPattern !== undefined) checkAllowedPattern(allowedPattern, input.value);

      const versionNumber = (previous?.version ?? 0) + 1;
      const version: ParameterVersion = {
        version: versionNumber,
        type,
        value: input.value,
        tier,
        dataType,
        lastModified: clock.now(),
        ...optional("description", input.description ?? previous?.description),
        ...optional(
          "keyId",
          type === ParameterType.SecureString
            ? (input.keyId ?? previous?.keyId ?? DEFAULT_KEY_ID)
            : undefined,
        ),
        ...optional("allowedPattern", allowedPattern),
      };
      const versions = [...(existing?.versions ?? []), version].slice(-MAX_VERSIONS);
      parameters.set(input.name, { name: input.name, versions });
      persist();
      return { version: versionNumber, tier };
    },

    get(reference, withDecryption) {
      return resolve(reference, withDecryption);
    },

    getMany(references, withDecryption) {
      checkNameCount(references);
      const found: ParameterView[] = [];
      const invalid: string[] = [];
      for (const reference of new Set(references)) {
        try {
          found.push(resolve(reference, withDecryption));
        } catch (error) {
          if (!(error instanceof SsmError) || error.code === SsmErrorCode.ValidationException) throw error;
          invalid.push(reference);
        }
      }
      return { parameters: found, invalid };
    },

    getByPath(input) {
      const path = normalizePath(input.path);
      const recursive = input.recursive ?? false;
      const maxResults = input.maxResults ?? MAX_PAGE;
      if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_PAGE) {
        throw new SsmError(
          SsmErrorCode.ValidationException,
          `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and ${MAX_PAGE}`,
        );
      }
      const filter = compileFilters(input.filters ?? []);
      const after =
        input.nextToken === undefined ? undefined : readNextToken(input.nextToken, path, recursive);
      const names = [...parameters.keys()]
        .filter((name) => isUnderPath(name, path, recursive) && (after === undefined || name > after))
        .sort();
      const page: ParameterView[] = [];
      let last: string | undefined;
      for (const name of names) {
        if (page.length === maxResults) break;
        last = name;
        const stored = parameters.get(name);
        if (!stored) continue;
        const current = latest(stored);
        if (filter(current)) page.push(view(name, current, input.withDecryption ?? false));
      }
      const more = last !== undefined && names.indexOf(last) < names.length - 1;
      return more && last !== undefined
        ? { parameters: page, nextToken: writeNextToken(path, recursive, last) }
        : { parameters: page };
    },

    delete(name) {
      if (!parameters.delete(name)) throw notFound(name);
      persist();
    },

    deleteMany(names) {
      checkNameCount(names);
      const deleted: string[] = [];
      const invalid: string[] = [];
      for (const name of new Set(names)) {
        (parameters.delete(name) ? deleted : invalid).push(name);
      }
      if (deleted.length > 0) persist();
      return { deleted, invalid };
    },

    async flush() {
      await saving;
      if (saveError !== undefined) {
        const error = saveError;
        saveError = undefined;
        throw error;
      }
    },
  };
}

function latest(stored: StoredParameter): ParameterVersion {
  const version = stored.versions[stored.versions.length - 1];
  if (!version) throw new Error(`parameter ${stored.name} has no versions`);
  return version;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
