import type { IncomingMessage, ServerResponse } from "node:http";
import { createAlias, deleteAlias, getAlias, listAliases, updateAlias } from "./aliasOperations.js";
import { sendError } from "./controlPlaneRequest.js";
import {
  createFunctionCatalog,
  type FunctionCatalog,
  type FunctionCatalogOptions,
} from "./functionCatalog.js";
import {
  createFunction,
  deleteConcurrency,
  deleteFunction,
  listVersions,
  publishVersion,
  putConcurrency,
  updateFunctionCode,
  updateFunctionConfiguration,
} from "./functionOperations.js";
import { LambdaApiError } from "./lambdaApiError.js";
import { addPermission, getPolicy, removePermission } from "./permissionOperations.js";

/** Options of {@link createLambdaControlPlane}. */
export type LambdaControlPlaneOptions = FunctionCatalogOptions;

/** The Lambda control plane: the operations that create and change functions, as the AWS CLI calls them. */
export interface LambdaControlPlane {
  /** Serves a control-plane request; false when `req` is none (the service's own routes serve it). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** The installed key a qualified name invokes (`name`, `name:version`); undefined for an unknown qualifier. */
  resolveKey(name: string, qualifier: string | undefined): string | undefined;
  /** Resolves once functions kept in the data folder are installed again. */
  readonly restored: Promise<void>;
  close(): Promise<void>;
}

type Run = (
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
  query: URLSearchParams,
) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  run: Run;
}

const fnPath = "([^/]+)";
const path = (version: string, rest: string) => new RegExp(`^/${version}/functions/${fnPath}${rest}/?$`);

/** The control plane's operations by method and path, as Lambda's REST API names them. */
function routesOf(catalog: FunctionCatalog): Route[] {
  return [
    {
      method: "POST",
      pattern: /^\/2015-03-31\/functions\/?$/,
      run: (req, res) => createFunction(catalog, req, res),
    },
    {
      method: "PUT",
      pattern: path("2015-03-31", "/code"),
      run: (req, res, [name]) => updateFunctionCode(catalog, req, res, name!),
    },
    {
      method: "PUT",
      pattern: path("2015-03-31", "/configuration"),
      run: (req, res, [name]) => updateFunctionConfiguration(catalog, req, res, name!),
    },
    {
      method: "DELETE",
      pattern: path("2015-03-31", ""),
      run: (_req, res, [name], query) => deleteFunction(catalog, res, name!, query),
    },
    {
      method: "PUT",
      pattern: path("2017-10-31", "/concurrency"),
      run: (req, res, [name]) => putConcurrency(catalog, req, res, name!),
    },
    {
      method: "DELETE",
      pattern: path("2017-10-31", "/concurrency"),
      run: (_req, res, [name]) => deleteConcurrency(catalog, res, name!),
    },
    {
      method: "POST",
      pattern: path("2015-03-31", "/versions"),
      run: (req, res, [name]) => publishVersion(catalog, req, res, name!),
    },
    {
      method: "GET",
      pattern: path("2015-03-31", "/versions"),
      run: (_req, res, [name]) => listVersions(catalog, res, name!),
    },
    {
      method: "POST",
      pattern: path("2015-03-31", "/aliases"),
      run: (req, res, [name]) => createAlias(catalog, req, res, name!),
    },
    {
      method: "GET",
      pattern: path("2015-03-31", "/aliases"),
      run: (_req, res, [name]) => listAliases(catalog, res, name!),
    },
    {
      method: "GET",
      pattern: path("2015-03-31", "/aliases/([^/]+)"),
      run: (_req, res, [name, alias]) => getAlias(catalog, res, name!, alias!),
    },
    {
      method: "PUT",
      pattern: path("2015-03-31", "/aliases/([^/]+)"),
      run: (req, res, [name, alias]) => updateAlias(catalog, req, res, name!, alias!),
    },
    {
      method: "DELETE",
      pattern: path("2015-03-31", "/aliases/([^/]+)"),
      run: (_req, res, [name, alias]) => deleteAlias(catalog, res, name!, alias!),
    },
    {
      method: "POST",
      pattern: path("2015-03-31", "/policy"),
      run: (req, res, [name]) => addPermission(catalog, req, res, name!),
    },
    {
      method: "GET",
      pattern: path("2015-03-31", "/policy"),
      run: (_req, res, [name]) => getPolicy(catalog, res, name!),
    },
    {
      method: "DELETE",
      pattern: path("2015-03-31", "/policy/([^/]+)"),
      run: (_req, res, [name, sid]) => removePermission(catalog, res, name!, sid!),
    },
  ];
}

/**
 * Creates the local Lambda service's control plane: CreateFunction (ZipFile), UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, Put/DeleteFunctionConcurrency, PublishVersion,
 * ListVersionsByFunction, Create/Get/Update/Delete/ListAliases, AddPermission/GetPolicy/RemovePermission.
 * A created function's zip is unpacked into its own folder and run by the service like any function;
 * with a data folder, created functions come back after a restart.
 */
export function createLambdaControlPlane(options: LambdaControlPlaneOptions): LambdaControlPlane {
  const catalog = createFunctionCatalog(options);
  const routes = routesOf(catalog);
  const restored = catalog.restore();
  restored.catch((error: unknown) =>
    options.logger.error("created functions could not be restored", { error: String(error) }),
  );

  return {
    restored: restored.catch(() => undefined),

    async handle(req, res, url) {
      for (const route of routes) {
        if (req.method !== route.method) continue;
        const match = route.pattern.exec(url.pathname);
        if (!match) continue;
        const params = match.slice(1).map((part) => {
          try {
            return decodeURIComponent(part);
          } catch {
            return part;
          }
        });
        try {
          await route.run(req, res, params, url.searchParams);
        } catch (error) {
          if (!(error instanceof LambdaApiError)) throw error;
          req.resume();
          sendError(res, error);
        }
        return true;
      }
      return false;
    },

    resolveKey(name, qualifier) {
      if (qualifier === undefined || qualifier === "$LATEST") return name;
      const fn = catalog.created.get(name);
      if (!fn) return undefined;
      const version = /^\d+$/.test(qualifier) ? qualifier : fn.aliases[qualifier]?.functionVersion;
      if (version === undefined) return undefined;
      if (version === "$LATEST") return name;
      return fn.versions[version] ? `${name}:${version}` : undefined;
    },

    close: () => catalog.close(),
  };
}
