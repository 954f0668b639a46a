import { z } from "zod";

/**
 * The event Lambda receives from an SNS subscription. Only what scaling reads is
 * required; the signature fields and the rest of AWS's envelope pass through.
 */
export const snsEventSchema = z.looseObject({
  Records: z.array(
    z.looseObject({
      EventSource: z.literal("aws:sns").optional(),
      Sns: z.looseObject({
        MessageId: z.string().optional(),
        TopicArn: z.string().optional(),
        Message: z.string(),
      }),
    }),
  ),
});
