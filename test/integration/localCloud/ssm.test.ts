import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  type GetParametersByPathCommandInput,
  GetParametersCommand,
  PutParameterCommand,
  type PutParameterCommandInput,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const clientConfig = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});

let cloud: LocalCloud;
let ssm: SSMClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  ssm = new SSMClient(clientConfig(cloud.endpoint));
});

afterAll(async () => {
  ssm?.destroy();
  await cloud?.stop();
});

const put = (input: Partial<PutParameterCommandInput> & { Name: string }) =>
  ssm.send(new PutParameterCommand({ Value: "v", Type: "String", ...input }));

/** The error name the SDK raised, so each assertion names the AWS error it expects. */
async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error("expected the request to fail");
}

async function allPages(
  input: GetParametersByPathCommandInput,
): Promise<{ names: string[]; pages: number[] }> {
  const names: string[] = [];
  const pages: number[] = [];
  let token: string | undefined;
  do {
    const out = await ssm.send(new GetParametersByPathCommand({ ...input, NextToken: token }));
    pages.push(out.Parameters?.length ?? 0);
    names.push(...(out.Parameters ?? []).map((p) => p.Name ?? ""));
    token = out.NextToken;
  } while (token);
  return { names, pages };
}

describe("PutParameter and GetParameter", () => {
  it("creates version 1 and returns every field of the parameter", async () => {
    const before = Date.now();
    const created = await put({ Name: "/put/plain", Value: "hello", Type: "String" });
    expect(created).toMatchObject({ Version: 1, Tier: "Standard" });

    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: "/put/plain" }));
    expect(Parameter).toMatchObject({
      Name: "/put/plain",
      Type: "String",
      Value: "hello",
      Version: 1,
      ARN: `arn:aws:ssm:us-east-1:${cloud.accountId}:parameter/put/plain`,
      DataType: "text",
    });
    expect(Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    expect(Parameter?.LastModifiedDate?.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it("refuses to replace an existing parameter without Overwrite, and increments the version with it", async () => {
    await put({ Name: "/put/versioned", Value: "one" });
    expect(await errorName(put({ Name: "/put/versioned", Value: "two" }))).toBe("ParameterAlreadyExists");

    expect(await put({ Name: "/put/versioned", Value: "two", Overwrite: true })).toMatchObject({
      Version: 2,
    });
    // Type may be left out on overwrite: the parameter keeps its type.
    const third = await ssm.send(
      new PutParameterCommand({ Name: "/put/versioned", Value: "three", Overwrite: true }),
    );
    expect(third.Version).toBe(3);

    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: "/put/versioned" }));
    expect(Parameter).toMatchObject({ Value: "three", Version: 3, Type: "String" });
    const first = await ssm.send(new GetParameterCommand({ Name: "/put/versioned:1" }));
    expect(first.Parameter).toMatchObject({ Value: "one", Version: 1, Selector: ":1" });
    expect(await errorName(ssm.send(new GetParameterCommand({ Name: "/put/versioned:9" })))).toBe(
      "ParameterVersionNotFound",
    );
  });

  it("keeps a StringList's value as written", async () => {
    await put({ Name: "/put/list", Value: "a,b,c", Type: "StringList" });
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: "/put/list" }));
    expect(Parameter).toMatchObject({ Type: "StringList", Value: "a,b,c" });
  });

  it("hides a SecureString's value unless WithDecryption is set", async () => {
    await put({ Name: "/put/secret", Value: "s3cr3t", Type: "SecureString" });
    const sealed = await ssm.send(new GetParameterCommand({ Name: "/put/secret" }));
    expect(sealed.Parameter?.Type).toBe("SecureString");
    expect(sealed.Parameter?.Value).not.toBe("s3cr3t");
    const open = await ssm.send(new GetParameterCommand({ Name: "/put/secret", WithDecryption: true }));
    expect(open.Parameter?.Value).toBe("s3cr3t");
  });

  it("names flat parameters and finds a parameter by its ARN", async () => {
    await put({ Name: "flat-name", Value: "flat" });
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: "flat-name" }));
    expect(Parameter?.ARN).toBe(`arn:aws:ssm:us-east-1:${cloud.accountId}:parameter/flat-name`);
    const byArn = await ssm.send(new GetParameterCommand({ Name: Parameter?.ARN }));
    expect(byArn.Parameter?.Value).toBe("flat");
  });

  it("validates names and inputs with AWS's error names", async () => {
    expect(await errorName(put({ Name: "not/qualified" }))).toBe("ValidationException");
    expect(await errorName(put({ Name: "/aws/reserved" }))).toBe("ValidationException");
    expect(await errorName(put({ Name: "ssm-reserved" }))).toBe("ValidationException");
    expect(await errorName(put({ Name: "/bad name" }))).toBe("ValidationException");
    expect(await errorName(put({ Name: "/trailing/" }))).toBe("ValidationException");
    expect(await errorName(put({ Name: "/a//b" }))).toBe("ValidationException");
    const sixteenLevels = `/${Array.from({ length: 16 }, (_, i) => `l${i}`).join("/")}`;
    expect(await errorName(put({ Name: sixteenLevels }))).toBe("HierarchyLevelLimitExceededException");
    const fifteenLevels = `/${Array.from({ length: 15 }, (_, i) => `l${i}`).join("/")}`;
    expect((await put({ Name: fifteenLevels })).Version).toBe(1);
    expect(await errorName(ssm.send(new PutParameterCommand({ Name: "/put/untyped", Value: "x" })))).toBe(
      "ValidationException",
    );
    expect(await errorName(put({ Name: "/put/badtype", Type: "Number" as "String" }))).toBe(
      "ValidationException",
    );
    expect(await errorName(put({ Name: "/put/long", Value: "x".repeat(4097) }))).toBe("ValidationException");
    expect((await put({ Name: "/put/advanced", Value: "x".repeat(4097), Tier: "Advanced" })).Tier).toBe(
      "Advanced",
    );
    expect(await errorName(put({ Name: "/put/pattern", Value: "abc", AllowedPattern: "^\\d+$" }))).toBe(
      "ParameterPatternMismatchException",
    );
  });

  it("answers ParameterNotFound for a missing parameter", async () => {
    expect(await errorName(ssm.send(new GetParameterCommand({ Name: "/missing/one" })))).toBe(
      "ParameterNotFound",
    );
  });
});

describe("GetParameters", () => {
  it("returns the parameters found and lists the others as InvalidParameters", async () => {
    await put({ Name: "/many/a", Value: "A" });
    await put({ Name: "/many/b", Value: "B" });
    const out = await ssm.send(new GetParametersCommand({ Names: ["/many/a", "/many/nope", "/many/b"] }));
    expect(out.Parameters?.map((p) => [p.Name, p.Value])).toEqual([
      ["/many/a", "A"],
      ["/many/b", "B"],
    ]);
    expect(out.InvalidParameters).toEqual(["/many/nope"]);
  });

  it("refuses more than 10 names", async () => {
    const names = Array.from({ length: 11 }, (_, i) => `/many/${i}`);
    expect(await errorName(ssm.send(new GetParametersCommand({ Names: names })))).toBe("ValidationException");
  });
});

describe("GetParametersByPath", () => {
  beforeAll(async () => {
    for (const name of ["/tree/a", "/tree/b", "/tree/sub/c", "/tree/sub/deep/d", "/treehouse/x"]) {
      await put({ Name: name, Value: name });
    }
  });

  it("returns only direct children unless Recursive", async () => {
    expect((await allPages({ Path: "/tree" })).names).toEqual(["/tree/a", "/tree/b"]);
    expect((await allPages({ Path: "/tree/" })).names).toEqual(["/tree/a", "/tree/b"]);
    expect((await allPages({ Path: "/tree", Recursive: true })).names).toEqual([
      "/tree/a",
      "/tree/b",
      "/tree/sub/c",
      "/tree/sub/deep/d",
    ]);
    expect((await allPages({ Path: "/tree/sub" })).names).toEqual(["/tree/sub/c"]);
  });

  it("puts flat names and first-level names directly under the root", async () => {
    await put({ Name: "/rootlevel", Value: "r" });
    const { names } = await allPages({ Path: "/" });
    expect(names).toContain("/rootlevel");
    expect(names).toContain("flat-name");
    expect(names).not.toContain("/tree/a");
    expect((await allPages({ Path: "/", Recursive: true })).names).toContain("/tree/sub/deep/d");
  });

  it("pages with MaxResults and NextToken, every parameter exactly once", async () => {
    const expected = Array.from({ length: 23 }, (_, i) => `/paged/p${String(i).padStart(2, "0")}`);
    for (const name of expected) await put({ Name: name });
    const { names, pages } = await allPages({ Path: "/paged", MaxResults: 10 });
    expect(pages).toEqual([10, 10, 3]);
    expect(names).toEqual(expected);
    const defaultPage = await ssm.send(new GetParametersByPathCommand({ Path: "/paged" }));
    expect(defaultPage.Parameters).toHaveLength(10);
    expect(defaultPage.NextToken).toBeDefined();
  });

  it("filters by Type and decrypts only WithDecryption", async () => {
    await put({ Name: "/typed/plain", Value: "p" });
    await put({ Name: "/typed/secret", Value: "s", Type: "SecureString" });
    const filters = [{ Key: "Type", Option: "Equals", Values: ["SecureString"] }];
    const sealed = await ssm.send(
      new GetParametersByPathCommand({ Path: "/typed", ParameterFilters: filters }),
    );
    expect(sealed.Parameters?.map((p) => p.Name)).toEqual(["/typed/secret"]);
    expect(sealed.Parameters?.[0]?.Value).not.toBe("s");
    const open = await ssm.send(
      new GetParametersByPathCommand({ Path: "/typed", ParameterFilters: filters, WithDecryption: true }),
    );
    expect(open.Parameters?.[0]?.Value).toBe("s");
  });

  it("rejects a bad MaxResults, NextToken or Path with AWS's error names", async () => {
    const byPath = (input: GetParametersByPathCommandInput) =>
      ssm.send(new GetParametersByPathCommand(input));
    expect(await errorName(byPath({ Path: "/paged", MaxResults: 11 }))).toBe("ValidationException");
    expect(await errorName(byPath({ Path: "/paged", MaxResults: 0 }))).toBe("ValidationException");
    expect(await errorName(byPath({ Path: "/paged", NextToken: "not-a-token" }))).toBe("InvalidNextToken");
    const first = await byPath({ Path: "/paged", MaxResults: 2 });
    // A token belongs to the query it came from.
    expect(await errorName(byPath({ Path: "/tree", MaxResults: 2, NextToken: first.NextToken }))).toBe(
      "InvalidNextToken",
    );
    expect(await errorName(byPath({ Path: "paged" }))).toBe("ValidationException");
  });
});

describe("DeleteParameter and DeleteParameters", () => {
  it("deletes one parameter, then answers ParameterNotFound for it", async () => {
    await put({ Name: "/del/one" });
    await ssm.send(new DeleteParameterCommand({ Name: "/del/one" }));
    expect(await errorName(ssm.send(new GetParameterCommand({ Name: "/del/one" })))).toBe(
      "ParameterNotFound",
    );
    expect(await errorName(ssm.send(new DeleteParameterCommand({ Name: "/del/one" })))).toBe(
      "ParameterNotFound",
    );
  });

  it("deletes several, listing the deleted and the missing", async () => {
    await put({ Name: "/del/a" });
    await put({ Name: "/del/b" });
    const out = await ssm.send(new DeleteParametersCommand({ Names: ["/del/a", "/del/ghost", "/del/b"] }));
    expect(out.DeletedParameters).toEqual(["/del/a", "/del/b"]);
    expect(out.InvalidParameters).toEqual(["/del/ghost"]);
    const left = await ssm.send(new GetParametersCommand({ Names: ["/del/a", "/del/b"] }));
    expect(left.Parameters).toEqual([]);
  });
});

it("answers an operation it does not implement with UnknownOperationException", async () => {
  expect(await errorName(ssm.send(new DescribeParametersCommand({})))).toBe("UnknownOperationException");
});

it("keeps parameters across restarts when given a data folder", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "ssm-data-"));
  try {
    const first = await startLocalCloud({ port: 0, dataDir });
    const client = new SSMClient(clientConfig(first.endpoint));
    await client.send(new PutParameterCommand({ Name: "/kept/value", Value: "one", Type: "String" }));
    await client.send(
      new PutParameterCommand({ Name: "/kept/value", Value: "two", Type: "String", Overwrite: true }),
    );
    client.destroy();
    await first.stop();

    const second = await startLocalCloud({ port: 0, dataDir });
    const again = new SSMClient(clientConfig(second.endpoint));
    try {
      const { Parameter } = await again.send(new GetParameterCommand({ Name: "/kept/value" }));
      expect(Parameter).toMatchObject({ Value: "two", Version: 2 });
    } finally {
      again.destroy();
      await second.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
