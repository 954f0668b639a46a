import { readFile } from "node:fs/promises";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { type LocalRolePolicies, runDev, unusedPermissionReport } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPlatform, type TestPlatform, testRegistry } from "../support/testPlatform.js";
import { waitFor } from "../support/waitFor.js";

/**
 * The local cloud enforces the stack's own IAM: each function calls with its role's credentials and the
 * edge evaluates every call against the policies the SST stack synthesizes for that role.
 */
const registry = testRegistry({
  routes: [
    // Its unmatched messages are forwarded to a queue the registry names: the stack grants the send.
    {
      queue: { name: "iam-forwarding", visibilityTimeoutSec: 3 },
      function: "record",
      filters: [{ body: { type: ["order"] } }],
      onNoMatch: "forward:iam-parked",
    },
    // Its forward target is set at run time (`routes set --on-no-match forward:iam-audit`).
    {
      queue: { name: "iam-orders", visibilityTimeoutSec: 3 },
      function: "record",
      filters: [{ body: { type: ["order"] } }],
    },
  ],
  routableQueues: ["iam-audit"],
});

let platform: TestPlatform;
const urls: Record<string, string> = {};

beforeAll(async () => {
  platform = await startTestPlatform(registry);
  for (const name of ["iam-parked", "iam-audit"]) {
    const out = await platform.deployment.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    urls[name] = out.QueueUrl!;
  }
}, 180_000);

afterAll(async () => {
  await platform?.stop();
});

/** Receives (and deletes) messages of a queue until one with `body` arrived. */
async function arrives(queueUrl: string, body: string, description: string): Promise<void> {
  const { sqs } = platform.deployment.clients;
  await waitFor(
    async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      let found = false;
      for (const m of out.Messages ?? []) {
        if (m.Body === body) found = true;
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
      return found || undefined;
    },
    { timeoutMs: 40_000, intervalMs: 0, description },
  );
}

const deniedOf = (functionName: string) =>
  platform.cloud.iam.usage().find((u) => u.functionName === functionName)?.denied ?? [];

describe("IAM enforced from the stack's synthesized policies", () => {
  it("runs the platform with every function on its own role, and nothing it does is denied", async () => {
    const [id] = await platform.send("iam-orders", [{ type: "order", n: 1 }]);
    await waitFor(async () => (await platform.processed([id!])).size === 1 || undefined, {
      timeoutMs: 40_000,
      description: "the order recorded by its handler",
    });
    const usage = platform.cloud.iam.usage();
    expect(usage.map((u) => u.functionName)).toEqual(expect.arrayContaining(["poller", "restart", "record"]));
    for (const u of usage) expect(u.denied, `${u.functionName}'s denials`).toEqual([]);
    const poller = usage.find((u) => u.functionName === "poller")!;
    expect(poller.allowed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "sqs:ReceiveMessage",
          resource: "arn:aws:sqs:us-east-1:000000000000:iam-orders",
        }),
        expect.objectContaining({
          action: "lambda:InvokeFunction",
          resource: "arn:aws:lambda:us-east-1:000000000000:function:record",
        }),
      ]),
    );
  });

  it("answers a function's call outside its role with each service's AccessDenied, in AWS's words", async () => {
    const { endpoint, region } = platform.cloud;
    const credentials = platform.cloud.iam.credentials.issue("record");
    const config = { endpoint, region, credentials };
    const role = platform.cloud.iam.rolePolicies().record!.roleLogicalId;
    const user = `arn:aws:sts::000000000000:assumed-role/${role}/record`;
    const sqs = new SQSClient(config);
    const denied = (action: string, resource: string) =>
      `User: ${user} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: urls["iam-audit"], MessageBody: "x" })),
    ).rejects.toMatchObject({
      name: "AccessDenied",
      message: denied("sqs:SendMessage", "arn:aws:sqs:us-east-1:000000000000:iam-audit"),
    });
    await expect(
      new DynamoDBClient(config).send(
        new GetItemCommand({ TableName: "tokens", Key: { queueUrl: { S: "q" }, token: { S: "t" } } }),
      ),
    ).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: denied("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:000000000000:table/tokens"),
    });
    await expect(
      new LambdaClient(config).send(new InvokeCommand({ FunctionName: "restart", Qualifier: "$LATEST" })),
    ).rejects.toMatchObject({
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 403 },
      message: denied(
        "lambda:InvokeFunction",
        "arn:aws:lambda:us-east-1:000000000000:function:restart:$LATEST",
      ),
    });
    await expect(
      new SSMClient(config).send(
        new PutParameterCommand({ Name: "/itest/local/routes/x", Value: "{}", Type: "String" }),
      ),
    ).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: denied(
        "ssm:PutParameter",
        "arn:aws:ssm:us-east-1:000000000000:parameter/itest/local/routes/x",
      ),
    });
    // The test's own clients are the operator's: the same send succeeds with them.
    await platform.deployment.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: urls["iam-audit"], MessageBody: "op" }),
    );
    await arrives(urls["iam-audit"]!, "op", "the operator's message on iam-audit");
    sqs.destroy();
  });

  it("forwards to a run-time forward target that routableQueues allows: the poller's role may send to it", async () => {
    const route = (await platform.deployment.routesStore.get("iam-orders"))!;
    // What `routes set iam-orders --on-no-match forward:iam-audit` writes.
    await platform.deployment.routesStore.put({
      ...route,
      onNoMatch: "forward:iam-audit",
      updatedAt: Date.now(),
    });
    // The poller reads the edit within its route cache's TTL: probes go until one is forwarded.
    const { sqs } = platform.deployment.clients;
    let probe = 0;
    await waitFor(
      async () => {
        probe += 1;
        await platform.send("iam-orders", [{ type: "refund", probe }]);
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: urls["iam-audit"],
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 2,
          }),
        );
        return (out.Messages ?? []).some((m) => JSON.parse(m.Body ?? "{}").type === "refund") || undefined;
      },
      { timeoutMs: 40_000, intervalMs: 0, description: "a refund forwarded to iam-audit" },
    );
    expect(deniedOf("poller")).toEqual([]);
  });

  it("without the poller's send statement, the forward fails with the poller's AccessDenied, where AWS would fail it", async () => {
    const original = platform.cloud.iam.rolePolicies();
    const poller = original.poller!;
    const isSend = (s: { Action?: string | string[] }) => [s.Action].flat().includes("sqs:SendMessage");
    expect(poller.policies.flatMap((p) => p.statements).filter(isSend)).toHaveLength(1);
    const withoutSend: LocalRolePolicies = {
      poller: {
        ...poller,
        policies: poller.policies.map((p) => ({ ...p, statements: p.statements.filter((s) => !isSend(s)) })),
      },
    };
    await platform.cloud.iam.setRolePolicies(withoutSend);
    try {
      await platform.send("iam-forwarding", [{ type: "refund", n: 3 }]);
      const parkedArn = "arn:aws:sqs:us-east-1:000000000000:iam-parked";
      await waitFor(
        () =>
          deniedOf("poller").some((d) => d.resource === parkedArn && d.action.startsWith("sqs:")) ||
          undefined,
        { timeoutMs: 40_000, description: "the poller denied on iam-parked" },
      );
      // Nothing else the poller does is denied: only the forward.
      expect(deniedOf("poller").every((d) => d.resource === parkedArn)).toBe(true);
    } finally {
      await platform.cloud.iam.setRolePolicies(original);
    }
    // With the statement back, the same message (returned to its queue) is forwarded.
    await arrives(
      urls["iam-parked"]!,
      JSON.stringify({ type: "refund", n: 3 }),
      "the refund forwarded to iam-parked",
    );
  });

  it("denies the poller a run-time forward target its role was never granted, as AWS did before routes set refused one", async () => {
    // `routes set --on-no-match forward:iam-elsewhere` now refuses this queue (neither routed, nor a
    // registry forward target, nor in routableQueues: cliRoutePolicies.test.ts). A route written past
    // that check, as it once was accepted, must fail at the poller's forward, where it fails on AWS.
    const { sqs } = platform.deployment.clients;
    const elsewhere = (await sqs.send(new CreateQueueCommand({ QueueName: "iam-elsewhere" }))).QueueUrl!;
    const elsewhereArn = "arn:aws:sqs:us-east-1:000000000000:iam-elsewhere";
    const route = (await platform.deployment.routesStore.get("iam-orders"))!;
    await platform.deployment.routesStore.put({
      ...route,
      onNoMatch: "forward:iam-elsewhere",
      updatedAt: Date.now(),
    });
    try {
      let probe = 0;
      await waitFor(
        async () => {
          probe += 1;
          await platform.send("iam-orders", [{ type: "refund", elsewhere: probe }]);
          return (
            deniedOf("poller").some((d) => d.resource === elsewhereArn && d.action.startsWith("sqs:")) ||
            undefined
          );
        },
        { timeoutMs: 40_000, intervalMs: 1_000, description: "the poller denied on iam-elsewhere" },
      );
      const depth = await platform.depth(elsewhere);
      expect(depth.visible + depth.inFlight).toBe(0);
    } finally {
      await platform.deployment.routesStore.put({ ...route, updatedAt: Date.now() });
    }
  });

  it("reports the grants each role never used: the least-privilege evidence", async () => {
    const report = await unusedPermissionReport(
      platform.cloud.iam.rolePolicies(),
      platform.cloud.iam.usage(),
      platform.cloud.accountId,
    );
    const poller = report.find((r) => r.functionName === "poller")!;
    // The poller may invoke every registry handler, but only `record` handles these routes.
    expect(poller.unused).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "lambda:InvokeFunction",
          resource: "arn:aws:lambda:us-east-1:000000000000:function:noop",
        }),
      ]),
    );
    const receives = (queue: string) => ({
      action: "sqs:ReceiveMessage",
      resource: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    });
    // routableQueues grants reads of iam-audit, which no route drains: unused. The routed queues are used.
    expect(poller.unused).toEqual(expect.arrayContaining([expect.objectContaining(receives("iam-audit"))]));
    expect(poller.unused).not.toEqual(
      expect.arrayContaining([expect.objectContaining(receives("iam-orders"))]),
    );
    expect(poller.used).toEqual(expect.arrayContaining([expect.objectContaining(receives("iam-orders"))]));
  });
});

describe("pnpm dev --enforce-iam", () => {
  it("enforces the stack's IAM on the demo registry and writes the roles' used and unused grants when it stops", async () => {
    const chunks: string[] = [];
    const controller = new AbortController();
    const done = runDev({
      port: 0,
      adminApiPort: 0,
      demo: false,
      enforceIam: true,
      signal: controller.signal,
      logFile: ".dispatcher/test-dev-iam.log",
      out: { write: (chunk: string) => chunks.push(chunk), isTTY: false },
      onReady: ({ cloud }) => {
        expect(cloud.iam.enforcing).toBe(true);
        expect(Object.keys(cloud.iam.rolePolicies())).toEqual(
          expect.arrayContaining(["poller", "restart", "record"]),
        );
      },
    });
    try {
      await waitFor(() => chunks.join("").includes("proc/s"), {
        timeoutMs: 90_000,
        description: "a status board",
      });
    } finally {
      controller.abort();
      await done;
    }
    const output = chunks.join("");
    expect(output).toMatch(
      /IAM: 0 denied authorization\(s\), \d+ grant\(s\) never used; see .*iam-report\.txt/,
    );
    const report = JSON.parse(await readFile(".dispatcher/iam-report.json", "utf8")) as {
      functionName: string;
    }[];
    expect(report.map((r) => r.functionName)).toEqual(expect.arrayContaining(["poller", "restart"]));
  }, 180_000);
});
