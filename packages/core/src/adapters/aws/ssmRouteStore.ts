import { randomUUID } from "node:crypto";
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { DispatcherError, parseRoute, type Route } from "@sqs-dispatcher/config";
import { ROUTES_VERSION_KEY, type RouteStore } from "../../routing/ports.js";
import { type InvalidStoredRoute, InvalidStoredRouteError } from "../../routing/routeStoreErrors.js";

export interface SsmRouteStoreOptions {
  ssm: SSMClient;
  /** The routes' parameter path, ending in `/` (`routeParameterPath(app, stage)`: `/<app>/<stage>/routes/`). */
  path: string;
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function describeProblem(error: unknown): string {
  return error instanceof Error ? error.message.replace(/\s*\n\s*/g, " ") : String(error);
}

/** Parses a stored value, turning bad JSON and schema breaks alike into one message. */
function parseStored(value: string | undefined): Route {
  if (value === undefined) throw new Error("the parameter has no value");
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    throw new Error(`not JSON (${describeProblem(error)})`);
  }
  return parseRoute(json);
}

/**
 * Routes in SSM Parameter Store: one `String` parameter per queue, named `<path><queueName>`,
 * whose value is the route's JSON. SSM names allow `.`, so `payments.fifo` is a valid last segment.
 * Every read is parsed with `parseRoute`; a corrupt parameter raises {@link InvalidStoredRouteError}
 * naming it (`list` first reads all of them, see that error for why it does not skip).
 * Every write also bumps the version marker `<path>.version` (in the path, so the same IAM grants
 * cover it; `list` skips it), which lets pollers re-read routes only after a change.
 *
 * @example
 * const routes = createSsmRouteStore({ ssm: new SSMClient({}), path: routeParameterPath("shop", "prod") });
 */
export function createSsmRouteStore(options: SsmRouteStoreOptions): RouteStore {
  const { ssm } = options;
  const path = options.path.endsWith("/") ? options.path : `${options.path}/`;
  if (!path.startsWith("/")) {
    throw new DispatcherError(`the routes path must start with '/': '${options.path}'`, {
      path: options.path,
    });
  }
  const nameOf = (queueName: string) => `${path}${queueName}`;
  const versionName = nameOf(ROUTES_VERSION_KEY);
  const bumpVersion = () =>
    ssm.send(
      new PutParameterCommand({ Name: versionName, Type: "String", Value: randomUUID(), Overwrite: true }),
    );

  return {
    async get(queueName) {
      const name = nameOf(queueName);
      let value: string | undefined;
      try {
        const out = await ssm.send(new GetParameterCommand({ Name: name }));
        value = out.Parameter?.Value;
      } catch (error) {
        if (isNamed(error, "ParameterNotFound")) return undefined;
        throw error;
      }
      try {
        return parseStored(value);
      } catch (error) {
        throw new InvalidStoredRouteError([{ key: name, message: describeProblem(error) }], [], {
          cause: error,
        });
      }
    },

    async list() {
      const routes: Route[] = [];
      const invalid: InvalidStoredRoute[] = [];
      let nextToken: string | undefined;
      do {
        // The path without its trailing slash: AWS accepts both, and this form is the documented one.
        const out = await ssm.send(
          new GetParametersByPathCommand({
            Path: path.slice(0, -1),
            Recursive: false,
            MaxResults: 10,
            NextToken: nextToken,
          }),
        );
        for (const parameter of out.Parameters ?? []) {
          if (parameter.Name === versionName) continue;
          try {
            routes.push(parseStored(parameter.Value));
          } catch (error) {
            invalid.push({ key: parameter.Name ?? "(unnamed)", message: describeProblem(error) });
          }
        }
        nextToken = out.NextToken;
      } while (nextToken);
      if (invalid.length > 0) throw new InvalidStoredRouteError(invalid, routes);
      return routes.sort((a, b) => a.queueName.localeCompare(b.queueName));
    },

    async put(route) {
      // Parsed before the write: an invalid route must never reach the store.
      const valid = parseRoute(route);
      await ssm.send(
        new PutParameterCommand({
          Name: nameOf(valid.queueName),
          Type: "String",
          Value: JSON.stringify(valid),
          // Standard parameters hold 4 KB; a route with filters can need more. Intelligent-Tiering
          // makes it Advanced (8 KB) only then, so routes without filters cost nothing more.
          Tier: "Intelligent-Tiering",
          Overwrite: true,
        }),
      );
      await bumpVersion();
    },

    async delete(queueName) {
      try {
        await ssm.send(new DeleteParameterCommand({ Name: nameOf(queueName) }));
      } catch (error) {
        if (isNamed(error, "ParameterNotFound")) return false;
        throw error;
      }
      await bumpVersion();
      return true;
    },

    async version() {
      try {
        const out = await ssm.send(new GetParameterCommand({ Name: versionName }));
        return out.Parameter?.Value;
      } catch (error) {
        if (isNamed(error, "ParameterNotFound")) return undefined;
        throw error;
      }
    },
  };
}
