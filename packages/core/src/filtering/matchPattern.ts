import { FilterOperator, type FilterPattern, type FilterRule, FilterTarget } from "@sqs-dispatcher/config";

/** A field the message does not have (distinct from a field holding `null`). */
const missing: unique symbol = Symbol("missing");
type Found = unknown | typeof missing;

/**
 * What a pattern is matched against: the parts of Lambda's SQS record a filter may name.
 * `body` is the parsed body when it is a JSON object, else the body string.
 */
export interface FilterableRecord {
  body: unknown;
  attributes: Readonly<Record<string, string>>;
  messageAttributes: Readonly<
    Record<
      string,
      {
        stringValue?: string;
        binaryValue?: string;
        stringListValues: string[];
        binaryListValues: string[];
        dataType: string;
      }
    >
  >;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const decimal = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The number a leaf holds for `numeric`: a JSON number; in `attributes` and `messageAttributes`,
 * whose values SQS only ever gives as strings, also a string that is a decimal number.
 */
function numberOf(value: unknown, numericStrings: boolean): number | undefined {
  if (typeof value === "number") return value;
  if (numericStrings && typeof value === "string" && decimal.test(value)) return Number(value);
  return undefined;
}

function compare(n: number, op: unknown, bound: unknown): boolean {
  const b = bound as number;
  switch (op) {
    case "=":
      return n === b;
    case "<":
      return n < b;
    case "<=":
      return n <= b;
    case ">":
      return n > b;
    case ">=":
      return n >= b;
    default:
      return false;
  }
}

/** One rule against one leaf value that is present. */
function ruleMatches(rule: FilterRule, value: unknown, numericStrings: boolean): boolean {
  if (rule === null || typeof rule !== "object") return value === rule;
  const [operator, operand] = Object.entries(rule)[0] ?? [];
  switch (operator) {
    case FilterOperator.Prefix:
      return typeof value === "string" && value.startsWith(operand as string);
    case FilterOperator.Suffix:
      return typeof value === "string" && value.endsWith(operand as string);
    case FilterOperator.EqualsIgnoreCase:
      return typeof value === "string" && value.toLowerCase() === (operand as string).toLowerCase();
    case FilterOperator.AnythingBut: {
      const excluded = Array.isArray(operand) ? operand : [operand];
      // Like EventBridge: a present string or number that is none of the listed values (not null, not a boolean).
      return (typeof value === "string" || typeof value === "number") && !excluded.includes(value);
    }
    case FilterOperator.Numeric: {
      const n = numberOf(value, numericStrings);
      if (n === undefined) return false;
      const terms = operand as unknown[];
      for (let i = 0; i < terms.length; i += 2) if (!compare(n, terms[i], terms[i + 1])) return false;
      return true;
    }
    case FilterOperator.Exists:
      return operand === true;
    default:
      // The schema refuses every other operator; an unchecked pattern's unknown operator matches nothing.
      return false;
  }
}

/**
 * A field's rule list (ORed) against what the message holds there. A missing field matches only
 * `{ "exists": false }`; an object (an intermediate node) matches nothing, `exists` included, as
 * Lambda documents; an array matches when any of its elements does.
 */
function leafMatches(rules: readonly FilterRule[], found: Found, numericStrings: boolean): boolean {
  if (found === missing) {
    return rules.some((r) => isPlainObject(r) && r[FilterOperator.Exists] === false);
  }
  if (isPlainObject(found)) return false;
  const values = Array.isArray(found) ? found : [found];
  return values.some((value) =>
    isPlainObject(value) || Array.isArray(value)
      ? false
      : rules.some((rule) => ruleMatches(rule, value, numericStrings)),
  );
}

/** Every field of a pattern node must match (AND). */
function nodeMatches(pattern: FilterPattern, found: Found, numericStrings: boolean): boolean {
  // A nested pattern needs an object to look into; a present scalar (a plain-text body) has no fields.
  if (found !== missing && !isPlainObject(found)) return false;
  return Object.entries(pattern).every(([field, sub]) => {
    const child: Found =
      found !== missing && Object.hasOwn(found as object, field)
        ? (found as Record<string, unknown>)[field]
        : missing;
    return Array.isArray(sub)
      ? leafMatches(sub as readonly FilterRule[], child, numericStrings)
      : nodeMatches(sub as FilterPattern, child, numericStrings);
  });
}

/**
 * Whether a record matches one pattern (Lambda `FilterCriteria` syntax, checked by the route
 * schema). Strings compare character by character, without case folding unless the rule says
 * `equals-ignore-case`; numbers compare as numbers.
 *
 * @example
 * matchesPattern({ body: { RequestCode: ["BBBB"] } }, { body: { RequestCode: "BBBB" }, attributes: {}, messageAttributes: {} }); // true
 */
export function matchesPattern(pattern: FilterPattern, record: FilterableRecord): boolean {
  return Object.entries(pattern).every(([target, sub]) => {
    const value =
      target === FilterTarget.Body
        ? record.body
        : target === FilterTarget.Attributes
          ? record.attributes
          : target === FilterTarget.MessageAttributes
            ? record.messageAttributes
            : missing;
    const numericStrings = target !== FilterTarget.Body;
    return Array.isArray(sub)
      ? leafMatches(sub as readonly FilterRule[], value, numericStrings)
      : nodeMatches(sub as FilterPattern, value, numericStrings);
  });
}

/** Whether a record matches any of the patterns (ORed); no patterns means no filtering. */
export function matchesAnyPattern(patterns: readonly FilterPattern[], record: FilterableRecord): boolean {
  return patterns.length === 0 || patterns.some((p) => matchesPattern(p, record));
}
