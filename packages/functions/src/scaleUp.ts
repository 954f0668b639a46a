import { scaleUp } from "@sqs-dispatcher/core";
import { createPowertoolsLogger } from "./runtime/functionLogger.js";
import { createScaleHandler, scaleDepsFromEnv } from "./runtime/scaleHandler.js";

const logger = createPowertoolsLogger("scale-up");

/** The deployed scale-up (`packages/functions/src/scaleUp.handler`), subscribed to the scale-up topic. */
export const handler = createScaleHandler(scaleUp, () => scaleDepsFromEnv(logger), logger);
