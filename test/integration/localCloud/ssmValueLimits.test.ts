import { GetParameterCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { parseRoute } from "@sqs-dispatcher/config";
import { createSsmRouteStore } from "@sqs-dispatcher/core/aws";
import { createLocalClients, type LocalCloud, startLocalCloud } from "@sqs-dispatcher/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let cloud: LocalCloud;
let ssm: SSMClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  ssm = createLocalClients({ endpoint: cloud.endpoint, region: cloud.region }).ssm;
});

afterAll(async () => {
  ssm?.destroy();
  await cloud?.stop();
});

const put = (name: string, value: string, tier?: "Standard" | "Advanced" | "Intelligent-Tiering") =>
  ssm.send(
    new PutParameterCommand({ Name: name, Value: value, Type: "String", Overwrite: true, Tier: tier }),
  );

describe("the local SSM's value limits, as AWS's", () => {
  it("holds 4,096 characters in a Standard parameter and refuses one more with AWS's error", async () => {
    await put("/limits/standard", "s".repeat(4_096), "Standard");
    await expect(put("/limits/standard", "s".repeat(4_097), "Standard")).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringMatching(
        /^Standard tier parameters support a maximum parameter value of 4096 characters\./,
      ),
    });
  });

  it("makes an Intelligent-Tiering parameter Advanced above 4 KB, and refuses more than 8,192 characters", async () => {
    await put("/limits/intelligent", "i".repeat(8_192), "Intelligent-Tiering");
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: "/limits/intelligent" }));
    expect(Parameter?.Value).toHaveLength(8_192);
    await expect(put("/limits/intelligent", "i".repeat(8_193), "Intelligent-Tiering")).rejects.toMatchObject({
      name: "ValidationException",
      message: "Advanced tier parameters support a maximum parameter value of 8192 characters.",
    });
  });

  it("refuses, through the SSM route store, a route over 8 KB that only the route schema allows", async () => {
    const routes = createSsmRouteStore({ ssm, path: "/limits/routes/" });
    const route = parseRoute({
      queueName: "orders",
      queueUrl: `${cloud.endpoint}/000000000000/orders`,
      functionName: "record",
      filters: Array.from({ length: 3 }, (_, i) => ({ body: { kind: [`${i}-${"x".repeat(3_000)}`] } })),
    });
    await expect(routes.put(route)).rejects.toMatchObject({ name: "ValidationException" });
    expect(await routes.get("orders")).toBeUndefined();
  });
});
