import {
  checkFilterPattern,
  type FilterPattern,
  parseFilterPattern,
  parseRoute,
} from "@sqs-dispatcher/config";
import { describe, expect, it } from "vitest";
import type { QueueMessage } from "../queue/ports.js";
import { filterableRecordOf, partitionByFilters } from "./partitionByFilters.js";

function message(
  body: unknown,
  extra: Partial<Pick<QueueMessage, "attributes" | "messageAttributes">> = {},
  id = "m1",
): QueueMessage {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    md5OfBody: "",
    attributes: extra.attributes ?? { ApproximateReceiveCount: "1", SentTimestamp: "1545082649183" },
    messageAttributes: extra.messageAttributes ?? {},
  };
}

/** Whether one message passes one pattern (validated first, as the route schema would). */
function passes(pattern: unknown, msg: QueueMessage): boolean {
  const checked = parseFilterPattern(pattern);
  return partitionByFilters([msg], [checked]).matched.length === 1;
}

/** A pattern on the JSON body's fields. */
const onBody = (fields: FilterPattern): FilterPattern => ({ body: fields });

// The comparison operators of Lambda's "filter rule syntax" table, each with the table's example,
// applied to an SQS message body that is a JSON object.
describe("supported operators, with Lambda's documented examples", () => {
  const cases: { operator: string; pattern: FilterPattern; pass: unknown[]; fail: unknown[] }[] = [
    {
      operator: "null",
      pattern: onBody({ UserID: [null] }),
      pass: [{ UserID: null }],
      fail: [{ UserID: "u-1" }, {}, { UserID: "" }],
    },
    {
      operator: "empty",
      pattern: onBody({ LastName: [""] }),
      pass: [{ LastName: "" }],
      fail: [{ LastName: "Doe" }, {}, { LastName: null }],
    },
    {
      operator: "equals",
      pattern: onBody({ Name: ["Alice"] }),
      pass: [{ Name: "Alice" }, { Name: ["Bob", "Alice"] }],
      fail: [{ Name: "alice" }, { Name: "Alice " }, {}],
    },
    {
      operator: "equals-ignore-case",
      pattern: onBody({ Name: [{ "equals-ignore-case": "alice" }] }),
      pass: [{ Name: "Alice" }, { Name: "ALICE" }],
      fail: [{ Name: "Alicia" }, { Name: 1 }],
    },
    {
      operator: "and (several fields)",
      pattern: onBody({ Location: ["New York"], Day: ["Monday"] }),
      pass: [{ Location: "New York", Day: "Monday" }],
      fail: [{ Location: "New York", Day: "Tuesday" }, { Location: "New York" }],
    },
    {
      operator: "or (several values)",
      pattern: onBody({ PaymentType: ["Credit", "Debit"] }),
      pass: [{ PaymentType: "Credit" }, { PaymentType: "Debit" }],
      fail: [{ PaymentType: "Cash" }],
    },
    {
      operator: "anything-but",
      pattern: onBody({ Weather: [{ "anything-but": ["Raining"] }] }),
      pass: [{ Weather: "Sunny" }, { Weather: "raining" }],
      fail: [{ Weather: "Raining" }, {}, { Weather: null }],
    },
    {
      operator: "anything-but (one value)",
      pattern: onBody({ state: [{ "anything-but": "initializing" }] }),
      pass: [{ state: "running" }],
      fail: [{ state: "initializing" }],
    },
    {
      operator: "numeric (equals)",
      pattern: onBody({ Price: [{ numeric: ["=", 100] }] }),
      pass: [{ Price: 100 }, { Price: 100.0 }],
      fail: [{ Price: 101 }, { Price: "100" }],
    },
    {
      operator: "numeric (range)",
      pattern: onBody({ Price: [{ numeric: [">", 10, "<=", 20] }] }),
      pass: [{ Price: 20 }, { Price: 10.5 }],
      fail: [{ Price: 10 }, { Price: 20.01 }, { Price: "15" }],
    },
    {
      operator: "exists",
      pattern: onBody({ ProductName: [{ exists: true }] }),
      pass: [{ ProductName: "Widget" }, { ProductName: "" }],
      fail: [{}, { ProductName: { en: "Widget" } }],
    },
    {
      operator: "does not exist",
      pattern: onBody({ ProductName: [{ exists: false }] }),
      pass: [{}, { Other: 1 }],
      fail: [{ ProductName: "Widget" }, { ProductName: { en: "Widget" } }],
    },
    {
      operator: "begins with (prefix)",
      pattern: onBody({ Region: [{ prefix: "us-" }] }),
      pass: [{ Region: "us-east-1" }],
      fail: [{ Region: "eu-west-1" }, { Region: "US-east-1" }],
    },
    {
      operator: "ends with (suffix)",
      pattern: onBody({ FileName: [{ suffix: ".png" }] }),
      pass: [{ FileName: "cat.png" }],
      fail: [{ FileName: "cat.jpg" }, { FileName: "cat.PNG" }],
    },
  ];

  for (const c of cases) {
    it(`${c.operator}: ${JSON.stringify(c.pattern)}`, () => {
      expect(checkFilterPattern(c.pattern)).toEqual([]);
      for (const body of c.pass) expect(passes(c.pattern, message(body)), JSON.stringify(body)).toBe(true);
      for (const body of c.fail) expect(passes(c.pattern, message(body)), JSON.stringify(body)).toBe(false);
    });
  }

  it("matches the SQS page's examples: RequestCode is BBBB, RecordNumber above 9999", () => {
    const record = { RecordNumber: 1234, TimeStamp: "yyyy-mm-ddThh:mm:ss", RequestCode: "AAAA" };
    expect(passes({ body: { RequestCode: ["BBBB"] } }, message(record))).toBe(false);
    expect(passes({ body: { RequestCode: ["BBBB"] } }, message({ ...record, RequestCode: "BBBB" }))).toBe(
      true,
    );
    expect(passes({ body: { RecordNumber: [{ numeric: [">", 9999] }] } }, message(record))).toBe(false);
    expect(
      passes({ body: { RecordNumber: [{ numeric: [">", 9999] }] } }, message({ RecordNumber: 10000 })),
    ).toBe(true);
  });

  it("filters a plain-text body with rules on 'body' itself, and never matches it with field rules", () => {
    expect(passes({ body: [{ prefix: "Result: " }] }, message("Result: ok"))).toBe(true);
    expect(passes({ body: [{ prefix: "Result: " }] }, message("Failure"))).toBe(false);
    expect(passes({ body: { Result: [{ exists: false }] } }, message("Result: ok"))).toBe(false);
    // A JSON object body is not a leaf: rules on 'body' itself do not match it.
    expect(passes({ body: [{ exists: true }] }, message({ a: 1 }))).toBe(false);
  });

  it("follows nested fields and matches exists on leaves only", () => {
    const nested = { person: { address: { city: "Seattle" } } };
    expect(passes({ body: { person: { address: { city: ["Seattle"] } } } }, message(nested))).toBe(true);
    expect(passes({ body: { person: { address: [{ exists: true }] } } }, message(nested))).toBe(false);
    expect(passes({ body: { person: { phone: { mobile: [{ exists: false }] } } } }, message(nested))).toBe(
      true,
    );
  });

  it("filters on message attributes as Lambda's record shapes them", () => {
    const msg = message("x", {
      messageAttributes: {
        tenant: { dataType: "String", stringValue: "acme-eu" },
        priority: { dataType: "Number", stringValue: "7" },
      },
    });
    expect(passes({ messageAttributes: { tenant: { stringValue: [{ prefix: "acme-" }] } } }, msg)).toBe(true);
    expect(passes({ messageAttributes: { tenant: { dataType: ["String"] } } }, msg)).toBe(true);
    expect(passes({ messageAttributes: { priority: { stringValue: [{ numeric: [">=", 5] }] } } }, msg)).toBe(
      true,
    );
    expect(passes({ messageAttributes: { priority: { stringValue: [{ numeric: [">", 7] }] } } }, msg)).toBe(
      false,
    );
    expect(passes({ messageAttributes: { region: [{ exists: false }] } }, msg)).toBe(true);
    expect(filterableRecordOf(msg).messageAttributes["tenant"]?.stringListValues).toEqual([]);
  });

  it("filters on system attributes, whose numbers SQS gives as strings", () => {
    const msg = message({}, { attributes: { ApproximateReceiveCount: "3", MessageGroupId: "g-1" } });
    expect(passes({ attributes: { ApproximateReceiveCount: [{ numeric: [">=", 3] }] } }, msg)).toBe(true);
    expect(passes({ attributes: { ApproximateReceiveCount: ["3"] } }, msg)).toBe(true);
    expect(passes({ attributes: { MessageGroupId: [{ "anything-but": ["g-1", "g-2"] }] } }, msg)).toBe(false);
  });

  it("ORs the patterns of a route and keeps the receive order on both sides", () => {
    const messages = [
      message({ type: "order" }, {}, "a"),
      message({ type: "refund" }, {}, "b"),
      message({ type: "order", total: 5 }, {}, "c"),
      message("not json", {}, "d"),
    ];
    const filters: FilterPattern[] = [
      { body: { type: ["refund"] } },
      { body: { total: [{ numeric: [">", 1] }] } },
    ];
    const { matched, unmatched } = partitionByFilters(messages, filters);
    expect(matched.map((m) => m.messageId)).toEqual(["b", "c"]);
    expect(unmatched.map((m) => m.messageId)).toEqual(["a", "d"]);
  });

  it("passes everything when the route has no filters", () => {
    const messages = [message("a", {}, "a"), message({ b: 1 }, {}, "b")];
    expect(partitionByFilters(messages, undefined)).toEqual({ matched: messages, unmatched: [] });
    expect(partitionByFilters(messages, [])).toEqual({ matched: messages, unmatched: [] });
  });
});

describe("unsupported operators are refused by name", () => {
  const refused: { operator: string; pattern: unknown }[] = [
    { operator: "wildcard", pattern: onBody({ FilePath: [{ wildcard: "*/lib/*" }] }) },
    { operator: "cidr", pattern: onBody({ SourceIp: [{ cidr: "10.0.0.0/24" }] }) },
    { operator: "$or", pattern: { body: { $or: [{ a: ["x"] }, { b: ["y"] }] } } },
    { operator: "anything-but/prefix", pattern: onBody({ Region: [{ "anything-but": { prefix: "us-" } }] }) },
    {
      operator: "anything-but/suffix",
      pattern: onBody({ FileName: [{ "anything-but": { suffix: ".png" } }] }),
    },
    {
      operator: "anything-but/equals-ignore-case",
      pattern: onBody({ state: [{ "anything-but": { "equals-ignore-case": "x" } }] }),
    },
    {
      operator: "anything-but/wildcard",
      pattern: onBody({ p: [{ "anything-but": { wildcard: "*/lib/*" } }] }),
    },
    {
      operator: "prefix/equals-ignore-case",
      pattern: onBody({ s: [{ prefix: { "equals-ignore-case": "ev" } }] }),
    },
    {
      operator: "suffix/equals-ignore-case",
      pattern: onBody({ s: [{ suffix: { "equals-ignore-case": "ev" } }] }),
    },
    { operator: "contains", pattern: onBody({ s: [{ contains: "x" }] }) },
  ];

  for (const r of refused) {
    it(`refuses '${r.operator}'`, () => {
      const issues = checkFilterPattern(r.pattern);
      expect(issues.map((i) => i.operator)).toContain(r.operator);
      expect(issues.map((i) => i.message).join(" ")).toContain(`'${r.operator.split("/")[0]}'`);
      expect(() => parseFilterPattern(r.pattern)).toThrow(
        expect.objectContaining({ name: "FilterPatternError" }),
      );
    });
  }

  it("names the operator in the message a user sees when a route is refused", () => {
    const base = {
      queueName: "orders",
      queueUrl: "http://127.0.0.1:4566/000000000000/orders",
      functionName: "f",
    };
    expect(() => parseRoute({ ...base, filters: [{ body: { path: [{ wildcard: "*.png" }] } }] })).toThrow(
      /filters\[0\]\.body\.path\[0\]: operator 'wildcard' is not supported/,
    );
    expect(() => parseRoute({ ...base, filters: [{ body: { a: [{ contains: "x" }] } }] })).toThrow(
      /unknown operator 'contains' \(supported: exact values, \[\] lists \(OR\), 'prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists'\)/,
    );
  });
});

describe("malformed patterns", () => {
  const malformed: { why: string; pattern: unknown; message: RegExp }[] = [
    { why: "not an object", pattern: ["x"], message: /a pattern is an object over 'body'/ },
    { why: "an unknown target", pattern: { headers: { a: ["x"] } }, message: /not 'headers'/ },
    { why: "an empty rule list", pattern: onBody({ a: [] }), message: /an empty list matches nothing/ },
    { why: "a scalar where rules go", pattern: { body: { a: "x" } }, message: /must be a list of rules/ },
    {
      why: "two operators in one rule",
      pattern: onBody({ a: [{ prefix: "a", suffix: "b" }] }),
      message: /exactly one operator/,
    },
    {
      why: "numeric with a bad operator",
      pattern: onBody({ a: [{ numeric: ["!=", 1] }] }),
      message: /not one of =, <, <=, >, >=/,
    },
    {
      why: "numeric range upside down",
      pattern: onBody({ a: [{ numeric: [">", 5, "<", 1] }] }),
      message: /lower bound \(5\) must be below/,
    },
    {
      why: "numeric range in the wrong order",
      pattern: onBody({ a: [{ numeric: ["<", 5, ">", 1] }] }),
      message: /lower bound \('>' or '>='\) then an upper bound/,
    },
    {
      why: "exists with a string",
      pattern: onBody({ a: [{ exists: "yes" }] }),
      message: /'exists' takes true or false/,
    },
    {
      why: "attributes not an object",
      pattern: { attributes: ["x"] },
      message: /'attributes' takes an object/,
    },
    {
      why: "longer than Lambda allows",
      pattern: onBody({ a: ["x".repeat(4100)] }),
      message: /at most 4096 characters/,
    },
  ];
  for (const m of malformed) {
    it(`refuses ${m.why}`, () => {
      expect(
        checkFilterPattern(m.pattern)
          .map((i) => i.message)
          .join("\n"),
      ).toMatch(m.message);
    });
  }

  it("takes a body field named like an operator as a field", () => {
    expect(checkFilterPattern({ body: { prefix: ["x"], exists: [true] } })).toEqual([]);
    expect(passes({ body: { prefix: ["x"] } }, message({ prefix: "x" }))).toBe(true);
  });

  it("refuses more than 10 patterns on a route", () => {
    const base = {
      queueName: "orders",
      queueUrl: "http://127.0.0.1:4566/000000000000/orders",
      functionName: "f",
    };
    const filters = Array.from({ length: 11 }, (_, i) => ({ body: { n: [i] } }));
    expect(() => parseRoute({ ...base, filters })).toThrow(/at most 10 filter patterns/);
  });
});
