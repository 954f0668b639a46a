import type { PollerConfig, Registry, RestartConfig, RouteStoreKind } from "./schema.js";

/** Where the platform runs: AWS (a named SST stage) or the local cloud. */
export type Target = { kind: "aws"; stage: string } | { kind: "local" };

/** The poller and restart settings in force for a target (local overrides applied). */
export function settingsFor(
  registry: Registry,
  target: Target,
): { poller: PollerConfig; restart: RestartConfig; routeStore: RouteStoreKind } {
  if (target.kind === "local") {
    return {
      poller: { ...registry.poller, ...registry.local.poller },
      restart: { ...registry.restart, ...registry.local.restart },
      routeStore: registry.local.routeStore ?? registry.routeStore.default,
    };
  }
  return {
    poller: registry.poller,
    restart: registry.restart,
    routeStore: registry.routeStore.stages[target.stage] ?? registry.routeStore.default,
  };
}

/** The SSM path under which a stage keeps its routes, one parameter per queue. */
export function routeParameterPath(app: string, stage: string): string {
  return `/${app}/${stage}/routes/`;
}
