import { z } from "zod";
import { DispatcherError } from "./dispatcherError.js";

/**
 * The comparison operators a route filter may use: the ones Lambda documents for
 * `FilterCriteria` patterns. Exact values (strings, numbers, `true`/`false`, `null`, `""`),
 * a list of them (OR) and AND across fields need no operator key.
 */
export const FilterOperator = {
  Prefix: "prefix",
  Suffix: "suffix",
  EqualsIgnoreCase: "equals-ignore-case",
  AnythingBut: "anything-but",
  Numeric: "numeric",
  Exists: "exists",
} as const;
export type FilterOperator = (typeof FilterOperator)[keyof typeof FilterOperator];

/**
 * Operators of EventBridge patterns that route filters refuse, each with what to do instead.
 * Anything else that looks like an operator is refused as unknown.
 */
const refusedOperators: Record<string, string> = {
  wildcard: "Lambda's FilterCriteria has no 'wildcard'; use 'prefix' or 'suffix'",
  cidr: "Lambda's FilterCriteria has no 'cidr'; list the addresses or use 'prefix'",
  $or: "write each alternative as its own pattern in 'filters' (patterns are ORed)",
};

/** The top-level keys of a pattern: the parts of Lambda's SQS record a filter may look at. */
export const FilterTarget = {
  /** The message body, parsed when it is a JSON object, else the plain string. */
  Body: "body",
  /** System attributes (`SentTimestamp`, `ApproximateReceiveCount`, `MessageGroupId`, ...), as strings. */
  Attributes: "attributes",
  /** Message attributes, shaped as Lambda's record: `{ name: { stringValue, dataType, ... } }`. */
  MessageAttributes: "messageAttributes",
} as const;
export type FilterTarget = (typeof FilterTarget)[keyof typeof FilterTarget];

const targets = new Set<string>(Object.values(FilterTarget));

/** Lambda's limits: 10 patterns per event source (5 by default, 10 on request), 4,096 characters each. */
export const FilterLimits = { patternsMax: 10, patternCharsMax: 4096 } as const;

/** A value a rule compares with: a JSON scalar. */
export type FilterValue = string | number | boolean | null;
/** One rule of a field's list: an exact value or `{ operator: operand }`. */
export type FilterRule = FilterValue | { readonly [operator: string]: unknown };
/** A pattern node: fields mapping to a nested node or to a list of rules (ORed). */
export interface FilterPattern {
  readonly [field: string]: FilterPattern | readonly FilterRule[];
}

/** One thing wrong with a pattern, with where it is. */
export interface FilterPatternIssue {
  path: (string | number)[];
  message: string;
  /** The operator refused, when an operator is what is wrong. */
  operator?: string;
}

/** A filter pattern that uses an operator route filters do not support, or is malformed. */
export class FilterPatternError extends DispatcherError {
  override readonly name = "FilterPatternError";
  constructor(
    readonly issues: readonly FilterPatternIssue[],
    options?: ErrorOptions,
  ) {
    super(
      `filter pattern is invalid: ${issues.map((i) => `${i.path.join(".") || "(pattern)"}: ${i.message}`).join("; ")}`,
      { issues, operators: issues.flatMap((i) => (i.operator ? [i.operator] : [])) },
      options,
    );
  }
}

const supportedList = [
  "exact values",
  "[] lists (OR)",
  ...Object.values(FilterOperator).map((o) => `'${o}'`),
].join(", ");

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const numericOperators = new Set(["=", "<", "<=", ">", ">="]);

function checkNumeric(operand: unknown): string | undefined {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    return '\'numeric\' takes [op, n] or [lower-op, n, upper-op, m], e.g. [">", 0, "<=", 5]';
  }
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const n = operand[i + 1];
    if (typeof op !== "string" || !numericOperators.has(op)) {
      return `'numeric' operator ${JSON.stringify(op)} is not one of =, <, <=, >, >=`;
    }
    if (typeof n !== "number" || !Number.isFinite(n)) {
      return `'numeric' needs a number after '${op}' (${JSON.stringify(n)})`;
    }
  }
  if (operand.length === 4) {
    const [lowOp, low, highOp, high] = operand as [string, number, string, number];
    if (!(lowOp === ">" || lowOp === ">=") || !(highOp === "<" || highOp === "<=")) {
      return "a 'numeric' range is a lower bound ('>' or '>=') then an upper bound ('<' or '<=')";
    }
    if (low >= high)
      return `a 'numeric' range's lower bound (${low}) must be below its upper bound (${high})`;
  }
  return undefined;
}

function checkOperator(
  operator: string,
  operand: unknown,
  path: (string | number)[],
  issues: FilterPatternIssue[],
): void {
  const refuse = (message: string, name = operator) => issues.push({ path, message, operator: name });
  switch (operator) {
    case FilterOperator.Prefix:
    case FilterOperator.Suffix:
      if (isPlainObject(operand)) {
        const inner = Object.keys(operand).join(", ");
        refuse(
          `'${operator}' with '${inner}' is not supported (Lambda's FilterCriteria has plain '${operator}' only)`,
          `${operator}/${inner}`,
        );
      } else if (typeof operand !== "string") refuse(`'${operator}' takes a string`);
      return;
    case FilterOperator.EqualsIgnoreCase:
      if (typeof operand !== "string") refuse("'equals-ignore-case' takes a string");
      return;
    case FilterOperator.AnythingBut: {
      if (isPlainObject(operand)) {
        const inner = Object.keys(operand).join(", ");
        refuse(
          `'anything-but' with '${inner}' is not supported (Lambda's FilterCriteria takes a value or a list of values)`,
          `anything-but/${inner}`,
        );
        return;
      }
      const values = Array.isArray(operand) ? operand : [operand];
      if (values.length === 0 || !values.every((v) => typeof v === "string" || typeof v === "number")) {
        refuse("'anything-but' takes a string, a number, or a non-empty list of them");
      }
      return;
    }
    case FilterOperator.Numeric: {
      const problem = checkNumeric(operand);
      if (problem) refuse(problem);
      return;
    }
    case FilterOperator.Exists:
      if (typeof operand !== "boolean") refuse("'exists' takes true or false");
      return;
    default: {
      const advice = refusedOperators[operator];
      refuse(
        advice
          ? `operator '${operator}' is not supported: ${advice}`
          : `unknown operator '${operator}' (supported: ${supportedList})`,
      );
    }
  }
}

function checkRules(rules: unknown[], path: (string | number)[], issues: FilterPatternIssue[]): void {
  if (rules.length === 0) {
    issues.push({ path, message: "an empty list matches nothing: give at least one rule" });
    return;
  }
  rules.forEach((rule, i) => {
    const at = [...path, i];
    if (rule === null || ["string", "number", "boolean"].includes(typeof rule)) {
      if (typeof rule === "number" && !Number.isFinite(rule))
        issues.push({ path: at, message: "not a number" });
      return;
    }
    if (Array.isArray(rule)) {
      issues.push({ path: at, message: "a rule is a value or an {operator: operand} object, not a list" });
      return;
    }
    const keys = Object.keys(rule as object);
    if (keys.length !== 1) {
      issues.push({
        path: at,
        message: `a rule object holds exactly one operator (${keys.length ? keys.join(", ") : "none"})`,
      });
      return;
    }
    const [operator] = keys as [string];
    checkOperator(operator, (rule as Record<string, unknown>)[operator], at, issues);
  });
}

function checkNode(node: unknown, path: (string | number)[], issues: FilterPatternIssue[]): void {
  if (Array.isArray(node)) {
    checkRules(node, path, issues);
    return;
  }
  if (!isPlainObject(node)) {
    issues.push({ path, message: 'must be a list of rules (e.g. ["value"]) or an object of fields' });
    return;
  }
  const keys = Object.keys(node);
  if (keys.length === 0) issues.push({ path, message: "an empty object matches nothing: name a field" });
  for (const key of keys) {
    // A field may be called "prefix" or "exists" (position tells fields from operators), but "$or" is EventBridge's.
    if (key === "$or") {
      issues.push({
        path: [...path, key],
        operator: key,
        message: `operator '$or' is not supported: ${refusedOperators[key]}`,
      });
      continue;
    }
    checkNode(node[key], [...path, key], issues);
  }
}

/**
 * Everything wrong with one filter pattern, in Lambda's `FilterCriteria` syntax (the plain JSON
 * of a `Pattern` string). Empty when the pattern is valid.
 *
 * @example
 * checkFilterPattern({ body: { RequestCode: ["BBBB"] } });              // []
 * checkFilterPattern({ body: { path: [{ wildcard: "*.png" }] } })[0]?.operator; // "wildcard"
 */
export function checkFilterPattern(pattern: unknown): FilterPatternIssue[] {
  const issues: FilterPatternIssue[] = [];
  if (!isPlainObject(pattern) || Object.keys(pattern).length === 0) {
    return [
      {
        path: [],
        message: `a pattern is an object over ${[...targets].map((t) => `'${t}'`).join(", ")}, e.g. { "body": { "type": ["order"] } }`,
      },
    ];
  }
  const size = JSON.stringify(pattern).length;
  if (size > FilterLimits.patternCharsMax) {
    issues.push({
      path: [],
      message: `a pattern is at most ${FilterLimits.patternCharsMax} characters of JSON, as with Lambda (${size})`,
    });
  }
  for (const [key, node] of Object.entries(pattern)) {
    if (!targets.has(key)) {
      const refused = key === "$or" ? refusedOperators[key] : undefined;
      issues.push({
        path: [key],
        ...(refused ? { operator: key } : {}),
        message: refused
          ? `operator '${key}' is not supported: ${refused}`
          : `a pattern filters on ${[...targets].map((t) => `'${t}'`).join(", ")} (not '${key}')`,
      });
      continue;
    }
    if (key !== FilterTarget.Body && !isPlainObject(node)) {
      issues.push({ path: [key], message: `'${key}' takes an object of attribute names` });
      continue;
    }
    checkNode(node, [key], issues);
  }
  return issues;
}

/**
 * Validates a pattern and returns it typed.
 * @throws {FilterPatternError} naming each refused operator and malformed part.
 */
export function parseFilterPattern(pattern: unknown): FilterPattern {
  const issues = checkFilterPattern(pattern);
  if (issues.length > 0) throw new FilterPatternError(issues);
  return pattern as FilterPattern;
}

/** One filter pattern of a route, checked with {@link checkFilterPattern}. */
export const filterPatternSchema = z.custom<FilterPattern>().superRefine((pattern, ctx) => {
  for (const issue of checkFilterPattern(pattern)) {
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  }
});

/** A route's filters: up to 10 patterns, ORed, as Lambda's `FilterCriteria.Filters`. */
export const filtersSchema = z
  .array(filterPatternSchema)
  .max(
    FilterLimits.patternsMax,
    `at most ${FilterLimits.patternsMax} filter patterns, as with Lambda's FilterCriteria`,
  );

/**
 * Reads a filters file: a list of patterns, or Lambda's `FilterCriteria` shape
 * (`{ "Filters": [{ "Pattern": "<JSON string>" }] }`) so criteria can be copied from an event
 * source mapping. The patterns are not checked here: the route schema does that.
 *
 * @example
 * filtersFromJson({ Filters: [{ Pattern: '{"body":{"type":["order"]}}' }] }); // [{ body: { type: ["order"] } }]
 */
export function filtersFromJson(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isPlainObject(value) && Array.isArray(value["Filters"])) {
    return value["Filters"].map((filter, i) => {
      const text = isPlainObject(filter) ? filter["Pattern"] : undefined;
      if (typeof text !== "string") {
        throw new FilterPatternError([{ path: ["Filters", i, "Pattern"], message: "must be a JSON string" }]);
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new FilterPatternError([{ path: ["Filters", i, "Pattern"], message: "is not valid JSON" }], {
          cause: error,
        });
      }
    });
  }
  throw new FilterPatternError([
    {
      path: [],
      message:
        'a filters file holds a list of patterns, or { "Filters": [{ "Pattern": "..." }] } as Lambda takes',
    },
  ]);
}
