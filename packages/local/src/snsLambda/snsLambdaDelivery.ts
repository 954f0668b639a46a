import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  ListSubscriptionsCommand,
  SNSClient,
  SubscribeCommand,
  type Subscription,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { type Logger, silentLogger } from "@sqs-dispatcher/core";
import { sendAwsJsonError } from "../edge/awsJsonError.js";
import type { LocalService } from "../edge/localService.js";

/** Internal queues that carry a topic's messages to a `lambda` subscription start with this. */
export const SNS_LAMBDA_BRIDGE_QUEUE_PREFIX = "sns-lambda-bridge-";

export interface SnsLambdaDeliveryOptions {
  /** The edge's base URL; a function because the port is known only after listen. */
  endpoint: () => string;
  region: string;
  logger?: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** How often `lambda` subscriptions are looked for (default 500 ms). */
  discoverEveryMs?: number;
  /** Visibility timeout of a bridge queue: how soon a failed Invoke is retried (default 5 s). */
  retryAfterSec?: number;
}

/** The SNS envelope fauxqs writes to an `sqs` subscription (non-raw). */
interface SnsEnvelope {
  Type?: string;
  MessageId?: string;
  TopicArn?: string;
  Subject?: string | null;
  Message?: string;
  Timestamp?: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/**
 * The event Lambda receives from an SNS subscription, in AWS's shape.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
 */
export function snsLambdaEvent(envelope: SnsEnvelope, subscriptionArn: string, region: string): unknown {
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: envelope.Type ?? "Notification",
          MessageId: envelope.MessageId,
          TopicArn: envelope.TopicArn,
          Subject: envelope.Subject ?? null,
          Message: envelope.Message ?? "",
          Timestamp: envelope.Timestamp,
          SignatureVersion: envelope.SignatureVersion ?? "1",
          Signature: envelope.Signature ?? "EXAMPLE",
          SigningCertUrl:
            envelope.SigningCertURL ??
            `https://sns.${region}.amazonaws.com/SimpleNotificationService-local.pem`,
          UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
          MessageAttributes: envelope.MessageAttributes ?? {},
        },
      },
    ],
  };
}

interface Bridge {
  subscriptionArn: string;
  functionArn: string;
  queueUrl: string;
  bridgeSubscriptionArn: string;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * SNS → Lambda delivery for the local cloud. fauxqs stores `lambda` subscriptions but delivers
 * only to SQS, so every `lambda` subscription gets an internal SQS queue subscribed to the same
 * topic (named `sns-lambda-bridge-<hash>`); each message arriving there is turned into the SNS
 * event Lambda would receive and handed to the function with an async (`Event`) Invoke through
 * the local Lambda service. A failed Invoke leaves the message for a retry after `retryAfterSec`.
 * Everything goes through SDK v3 against the edge, like any other client; it is a background
 * service, so the edge routes no signing name to it.
 *
 * Limits: subscription filter policies are not applied to lambda subscriptions; a new
 * subscription is picked up within `discoverEveryMs`.
 */
export function createSnsLambdaDelivery(options: SnsLambdaDeliveryOptions): LocalService {
  const logger = options.logger ?? silentLogger;
  const discoverEveryMs = options.discoverEveryMs ?? 500;
  const retryAfterSec = options.retryAfterSec ?? 5;
  const bridges = new Map<string, Bridge>();
  let clients: { sns: SNSClient; sqs: SQSClient; lambda: LambdaClient } | undefined;
  const connect = () => {
    if (!clients) {
      const config = {
        endpoint: options.endpoint(),
        region: options.region,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      };
      clients = {
        sns: new SNSClient(config),
        sqs: new SQSClient(config),
        lambda: new LambdaClient({ ...config, maxAttempts: 1 }),
      };
    }
    return clients;
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let discovering: Promise<void> | undefined;

  const listLambdaSubscriptions = async (): Promise<Subscription[]> => {
    const found: Subscription[] = [];
    let token: string | undefined;
    do {
      const page = await connect().sns.send(new ListSubscriptionsCommand({ NextToken: token }));
      for (const s of page.Subscriptions ?? []) if (s.Protocol === "lambda") found.push(s);
      token = page.NextToken;
    } while (token);
    return found;
  };

  const deliver = async (bridge: Bridge, body: string): Promise<boolean> => {
    let envelope: SnsEnvelope;
    try {
      envelope = JSON.parse(body) as SnsEnvelope;
    } catch {
      logger.warn("sns→lambda: dropped a message that is not an SNS envelope", { queueUrl: bridge.queueUrl });
      return true;
    }
    try {
      const out = await connect().lambda.send(
        new InvokeCommand({
          FunctionName: bridge.functionArn,
          InvocationType: "Event",
          Payload: Buffer.from(
            JSON.stringify(snsLambdaEvent(envelope, bridge.subscriptionArn, options.region)),
          ),
        }),
      );
      logger.debug("sns→lambda: delivered", { functionArn: bridge.functionArn, status: out.StatusCode });
      return true;
    } catch (error) {
      logger.warn("sns→lambda: invoke failed; will retry", {
        functionArn: bridge.functionArn,
        error: String(error),
      });
      return false;
    }
  };

  const consume = async (bridge: Bridge): Promise<void> => {
    const { sqs } = connect();
    while (!bridge.abort.signal.aborted) {
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: bridge.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 20,
          }),
          { abortSignal: bridge.abort.signal },
        );
        for (const message of out.Messages ?? []) {
          if (await deliver(bridge, message.Body ?? "")) {
            await sqs.send(
              new DeleteMessageCommand({ QueueUrl: bridge.queueUrl, ReceiptHandle: message.ReceiptHandle }),
            );
          }
        }
      } catch (error) {
        if (bridge.abort.signal.aborted) return;
        logger.warn("sns→lambda: receive failed", { queueUrl: bridge.queueUrl, error: String(error) });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  };

  const open = async (subscription: Subscription): Promise<void> => {
    const subscriptionArn = subscription.SubscriptionArn ?? "";
    const { sqs, sns } = connect();
    const hash = createHash("sha256").update(subscriptionArn).digest("hex").slice(0, 32);
    const queueUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: `${SNS_LAMBDA_BRIDGE_QUEUE_PREFIX}${hash}`,
          Attributes: { VisibilityTimeout: String(retryAfterSec) },
        }),
      )
    ).QueueUrl!;
    const queueArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))
    ).Attributes?.["QueueArn"];
    const bridgeSubscriptionArn = (
      await sns.send(
        new SubscribeCommand({ TopicArn: subscription.TopicArn, Protocol: "sqs", Endpoint: queueArn }),
      )
    ).SubscriptionArn!;
    const bridge: Bridge = {
      subscriptionArn,
      functionArn: subscription.Endpoint ?? "",
      queueUrl,
      bridgeSubscriptionArn,
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    bridge.done = consume(bridge);
    bridges.set(subscriptionArn, bridge);
    logger.info("sns→lambda: delivering a topic to a function", {
      topicArn: subscription.TopicArn,
      functionArn: bridge.functionArn,
      subscriptionArn,
    });
  };

  const shut = async (bridge: Bridge, removeResources: boolean): Promise<void> => {
    bridges.delete(bridge.subscriptionArn);
    bridge.abort.abort();
    await bridge.done;
    if (!removeResources) return;
    const { sns, sqs } = connect();
    await sns
      .send(new UnsubscribeCommand({ SubscriptionArn: bridge.bridgeSubscriptionArn }))
      .catch(() => undefined);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: bridge.queueUrl })).catch(() => undefined);
  };

  const discover = async (): Promise<void> => {
    const subscriptions = await listLambdaSubscriptions();
    const live = new Set(subscriptions.map((s) => s.SubscriptionArn ?? ""));
    for (const bridge of [...bridges.values()]) {
      if (!live.has(bridge.subscriptionArn)) await shut(bridge, true);
    }
    for (const s of subscriptions) {
      if (s.SubscriptionArn && !bridges.has(s.SubscriptionArn) && !stopped) await open(s);
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      discovering = discover()
        .catch((error: unknown) => {
          // Before the edge listens, endpoint() throws: simply try again at the next round.
          logger.debug("sns→lambda: discovery failed", { error: String(error) });
        })
        .finally(() => {
          discovering = undefined;
          schedule();
        });
    }, discoverEveryMs);
  };
  schedule();

  return {
    signingNames: [],
    handle(req: IncomingMessage, res: ServerResponse) {
      req.resume();
      sendAwsJsonError(res, 400, "UnrecognizedClientException", "SNS to Lambda delivery serves no API");
    },
    async close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await discovering;
      await Promise.all([...bridges.values()].map((b) => shut(b, false)));
      if (clients) {
        clients.sns.destroy();
        clients.sqs.destroy();
        clients.lambda.destroy();
      }
    },
  };
}
