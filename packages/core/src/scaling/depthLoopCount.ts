import { isSharedQuietRoute } from "@sqs-dispatcher/config";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { type DesiredLoopCount, keepWithinBounds } from "../restart/reconcile.js";
import { type DepthScaleInState, desiredDepthLoops } from "./depthScaling.js";
import type { QueueDepthReader } from "./ports.js";

export interface DepthLoopCountDeps {
  depth: QueueDepthReader;
  clock: Pick<Clock, "now">;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
  /** What routes not in depth mode get (default: the current count, within bounds). */
  fallback?: DesiredLoopCount;
}

/**
 * The reconcile hook for depth mode: routes with `scaling.mode === "depth"` get
 * {@link desiredDepthLoops} from the queue's visible depth (and, with `maxAgeSec`, the age of its
 * oldest message); every other route the fallback, except that a route left with no loop
 * (`minLoops: 0`) gets one while its queue holds messages.
 *
 * The scale-in cooldown state lives in this closure, i.e. in the warm restart
 * environment. Losing it (a cold start) only restarts the cooldown: scale-in is
 * delayed, never hastened, so no shared table is needed for it.
 *
 * @example
 * createRestart({ ...deps, desiredLoopCount: createDepthLoopCount({ depth, clock, logger }) });
 */
export function createDepthLoopCount(deps: DepthLoopCountDeps): DesiredLoopCount {
  const fallback = deps.fallback ?? keepWithinBounds;
  const states = new Map<string, DepthScaleInState>();
  return async (route, current) => {
    if (route.scaling.mode !== "depth") {
      states.delete(route.queueUrl);
      const wanted = await fallback(route, current);
      // `minLoops: 0` lets a route idle with no loop, not leave messages unread: a queue that holds
      // messages gets one loop (alarm scaling adds more; scale-down never goes below one).
      // A shared-quiet route is polled by its shared loop already: depth adds nothing there.
      if (wanted === 0 && route.maxLoops > 0 && !route.paused && !isSharedQuietRoute(route)) {
        try {
          if ((await deps.depth.visibleMessages(route.queueUrl)) > 0) return 1;
        } catch (error) {
          deps.logger.warn("could not read the depth of a queue with no loop; keeping it at none", {
            queueUrl: route.queueUrl,
            error: String(error),
          });
        }
      }
      return wanted;
    }
    let visible: number;
    try {
      visible = await deps.depth.visibleMessages(route.queueUrl);
    } catch (error) {
      // Without a depth reading, holding the current count is the safe answer.
      deps.logger.warn("depth mode: could not read the queue depth; keeping the loop count", {
        queueUrl: route.queueUrl,
        error: String(error),
      });
      return keepWithinBounds(route, current);
    }
    // A shared-quiet route's shared loop counts as one of its loops: depth mode adds dedicated loops
    // beyond it, and takes them all away again once one loop is enough.
    const sharedLoop = isSharedQuietRoute(route) ? 1 : 0;
    const maxAgeSec = route.scaling.maxAgeSec;
    let ageOfOldestSec: number | undefined;
    if (maxAgeSec !== undefined && deps.depth.ageOfOldestSec) {
      try {
        ageOfOldestSec = await deps.depth.ageOfOldestSec(route.queueUrl);
      } catch (error) {
        // Without an age the depth alone decides, as for a route without maxAgeSec.
        deps.logger.warn("depth mode: could not read the age of the oldest message; depth alone decides", {
          queueUrl: route.queueUrl,
          error: String(error),
        });
      }
    }
    const decision = desiredDepthLoops({
      ...(maxAgeSec !== undefined ? { maxAgeSec } : {}),
      ...(ageOfOldestSec !== undefined ? { ageOfOldestSec } : {}),
      visible,
      current: current + sharedLoop,
      minLoops: route.minLoops,
      maxLoops: route.maxLoops + sharedLoop,
      targetPerLoop: route.scaling.targetPerLoop,
      scaleInCooldownSec: route.scaling.scaleInCooldownSec,
      now: deps.clock.now(),
      state: states.get(route.queueUrl),
    });
    states.set(route.queueUrl, decision.state);
    const desired = decision.desired - sharedLoop;
    if (desired !== current) {
      deps.logger.info("depth mode: loop count follows the queue depth", {
        queueUrl: route.queueUrl,
        visible,
        ageOfOldestSec,
        current,
        desired,
      });
    }
    return desired;
  };
}
