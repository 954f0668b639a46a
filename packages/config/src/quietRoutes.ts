import type { Route } from "./schema.js";

/**
 * Whether a route is polled by a shared loop: it is quiet (`minLoops: 0`, no dedicated loop at
 * rest) and waits `idle: "shared"`. Such a route stays in its group while dedicated loops come
 * and go, so it never waits for restart to be polled.
 */
export function isSharedQuietRoute(route: Pick<Route, "minLoops" | "idle">): boolean {
  return route.minLoops === 0 && route.idle === "shared";
}
