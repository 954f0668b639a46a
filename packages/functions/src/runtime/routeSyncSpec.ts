import { GetParametersCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { DispatcherError } from "@sqs-dispatcher/config";
import { z } from "zod";

/**
 * What a deploy wants the route store to hold, as the stack writes it into SSM parameters that
 * it owns (and only CloudFormation updates): the registry's routes, the reset flag, and the
 * deploy it belongs to. Route-sync reads it from there, never from its event, so invoke rights
 * on route-sync cannot choose the routes.
 */
export interface RouteSyncSpec {
  /** The deploy that wrote it; a request naming another deploy is refused. */
  deployId: string;
  /** Reset run-time edits to the registry (`DISPATCHER_RESET_ROUTES=1` at deploy time). */
  resetRoutes: boolean;
  /** The registry's routes (stored-route fields without `source`/`updatedAt`), still to validate. */
  routes: unknown[];
}

/**
 * One parameter's value: a slice of the routes, so a large registry fits in Standard-tier
 * parameters (4 KB each). Every part names the deploy and how many parts it wrote.
 */
export const routeSyncSpecPartSchema = z.strictObject({
  deployId: z.string().min(1),
  resetRoutes: z.boolean(),
  part: z.int().min(0),
  parts: z.int().min(1),
  routes: z.array(z.unknown()),
});
export type RouteSyncSpecPart = z.infer<typeof routeSyncSpecPartSchema>;

/** Reads the deploy's {@link RouteSyncSpec}. */
export interface RouteSyncSpecSource {
  read(): Promise<RouteSyncSpec>;
}

/** The deploy's route-sync parameters are missing, unreadable or from different deploys. */
export class RouteSyncSpecError extends DispatcherError {
  override readonly name = "RouteSyncSpecError";
}

/** How many parameters one GetParameters call reads. */
const getParametersMax = 10;

/**
 * Joins the parts read from the parameters into one spec: every part must be there once, name
 * the same deploy and reset flag, and agree on how many parts there are.
 */
export function joinRouteSyncSpec(
  values: ReadonlyMap<string, string>,
  names: readonly string[],
): RouteSyncSpec {
  const parts: RouteSyncSpecPart[] = names.map((name) => {
    const value = values.get(name);
    if (value === undefined) throw new RouteSyncSpecError(`route-sync parameter '${name}' does not exist`);
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch (error) {
      throw new RouteSyncSpecError(`route-sync parameter '${name}' is not JSON`, { name }, { cause: error });
    }
    const parsed = routeSyncSpecPartSchema.safeParse(json);
    if (!parsed.success) {
      throw new RouteSyncSpecError(
        `route-sync parameter '${name}' is not a route-sync part: ${z.prettifyError(parsed.error)}`,
        { name },
      );
    }
    return parsed.data;
  });
  const [first] = parts;
  if (!first) throw new RouteSyncSpecError("the function names no route-sync parameters");
  parts.forEach((part, i) => {
    if (part.deployId !== first.deployId || part.resetRoutes !== first.resetRoutes) {
      throw new RouteSyncSpecError(
        `route-sync parameter '${names[i]}' belongs to deploy '${part.deployId}', '${names[0]}' to '${first.deployId}'`,
      );
    }
    if (part.part !== i || part.parts !== names.length) {
      throw new RouteSyncSpecError(
        `route-sync parameter '${names[i]}' is part ${part.part} of ${part.parts}, expected ${i} of ${names.length}`,
      );
    }
  });
  return {
    deployId: first.deployId,
    resetRoutes: first.resetRoutes,
    routes: parts.flatMap((p) => p.routes),
  };
}

/**
 * The {@link RouteSyncSpecSource} over SSM: the parameters named in the function's environment
 * (`ROUTE_SYNC_SPEC_PARAMETERS`, written by the stack), read fresh on every request.
 */
export function createSsmRouteSyncSpecSource(options: {
  ssm: Pick<SSMClient, "send">;
  names: readonly string[];
}): RouteSyncSpecSource {
  const { ssm, names } = options;
  return {
    async read() {
      const values = new Map<string, string>();
      for (let i = 0; i < names.length; i += getParametersMax) {
        const out = await ssm.send(new GetParametersCommand({ Names: names.slice(i, i + getParametersMax) }));
        for (const p of out.Parameters ?? []) {
          if (p.Name !== undefined && p.Value !== undefined) values.set(p.Name, p.Value);
        }
      }
      return joinRouteSyncSpec(values, names);
    },
  };
}

/** Splits the parameter list of the environment (`a,b,c`). */
export function routeSyncSpecNames(raw: string): string[] {
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
