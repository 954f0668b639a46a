/**
 * Stands in for the poller while the scale bench measures restart alone: restart's work (scan,
 * claims, async `Invoke`s accepted with 202) is unchanged, but thousands of started loops do not
 * then run on this machine's two cores. Never used outside bench/.
 */
export async function handler(): Promise<void> {}
