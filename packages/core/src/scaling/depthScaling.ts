/**
 * What depth mode remembers about a queue between two reconciles: since when, and by
 * how much at most, it has wanted fewer loops. Empty when no scale-in is pending.
 */
export interface DepthScaleInState {
  /** Epoch ms of the first reconcile that wanted fewer loops, in the current run of such reconciles. */
  lowSince?: number;
  /** The highest count wanted during that run: scale-in goes no lower than this. */
  lowPeak?: number;
}

export interface DepthScalingInput {
  /** Visible messages (`ApproximateNumberOfMessages`). */
  visible: number;
  /** Loops the queue has now. */
  current: number;
  minLoops: number;
  maxLoops: number;
  /** Messages one loop is expected to keep up with. */
  targetPerLoop: number;
  scaleInCooldownSec: number;
  now: number;
  state?: DepthScaleInState;
  /** Age of the oldest message, seconds (`ApproximateAgeOfOldestMessage`); unknown when undefined. */
  ageOfOldestSec?: number;
  /** Add a loop per decision while the oldest message is older than this, and never scale in then. */
  maxAgeSec?: number;
  /**
   * Scale-in hysteresis: fewer loops are wanted only while each would carry at most
   * this fraction of `targetPerLoop`, so a depth hovering around a threshold does not
   * flap between two counts. Default 0.8.
   */
  scaleInHeadroom?: number;
}

export interface DepthScalingDecision {
  /** The loop count to converge to, within `[max(1, minLoops), maxLoops]`. */
  desired: number;
  /** Pass back as `state` on the next call for this queue. */
  state: DepthScaleInState;
}

/** The default fraction of `targetPerLoop` a loop may carry before scale-in is considered. */
export const defaultScaleInHeadroom = 0.8;

/**
 * Depth mode's loop count: `clamp(ceil(visible / targetPerLoop), max(1, minLoops), maxLoops)`,
 * or one more than now while the oldest message is older than `maxAgeSec`, applied at once when
 * it means more loops, and only after `scaleInCooldownSec` of
 * continuously wanting fewer when it means fewer (with hysteresis, see `scaleInHeadroom`).
 * Pure: the caller keeps `state` per queue.
 *
 * @example
 * const { desired, state } = desiredDepthLoops({ visible: 950, current: 2, minLoops: 1, maxLoops: 8,
 *   targetPerLoop: 100, scaleInCooldownSec: 60, now: Date.now(), state: previous });
 * // desired === 8 (ceil(950 / 100) = 10, clamped to maxLoops)
 */
export function desiredDepthLoops(input: DepthScalingInput): DepthScalingDecision {
  const floor = Math.max(1, input.minLoops);
  const ceiling = Math.max(floor, input.maxLoops);
  const clamp = (n: number) => Math.min(ceiling, Math.max(floor, n));
  const visible = Math.max(0, input.visible);
  const headroom = input.scaleInHeadroom ?? defaultScaleInHeadroom;
  // A count outside the bounds is corrected at once, whatever the cooldown.
  const current = clamp(input.current);

  // Old messages mean the loops do not keep up, whatever the depth: one more loop per decision.
  const tooOld =
    input.maxAgeSec !== undefined &&
    input.ageOfOldestSec !== undefined &&
    input.ageOfOldestSec > input.maxAgeSec;
  const wantedOut = clamp(Math.max(Math.ceil(visible / input.targetPerLoop), tooOld ? current + 1 : 0));
  if (wantedOut > current) return { desired: wantedOut, state: {} };
  if (tooOld) return { desired: current, state: {} };

  const wantedIn = clamp(Math.ceil(visible / (input.targetPerLoop * headroom)));
  if (wantedIn >= current) return { desired: current, state: {} };

  const lowSince = input.state?.lowSince ?? input.now;
  const lowPeak = Math.max(input.state?.lowPeak ?? wantedIn, wantedIn);
  if (input.now - lowSince >= input.scaleInCooldownSec * 1000) {
    return { desired: lowPeak, state: {} };
  }
  return { desired: current, state: { lowSince, lowPeak } };
}
