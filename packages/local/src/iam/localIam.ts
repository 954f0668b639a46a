import type { IncomingMessage, ServerResponse } from "node:http";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import type { RolePolicies } from "@sqs-dispatcher/config";
import type { Logger } from "@sqs-dispatcher/core";
import type { SigningScope } from "../edge/signingScope.js";
import { accessDeniedMessage, sendAccessDenied } from "./accessDenied.js";
import type { LocalCredentials } from "./localCredentials.js";
import { readWholeBody, replayRequest } from "./replayRequest.js";
import {
  type AuthorizationCheck,
  authorizationChecksOf,
  UnauthorizableRequestError,
} from "./requestAuthorization.js";
import { type LocalRolePolicies, listOf } from "./rolePolicy.js";

/** Far above any request a function makes (6 MB Lambda payloads); bounds what the edge buffers. */
const maxAuthorizedBodyBytes = 7 * 1024 * 1024;

/** What one role did: the authorizations it was granted, and those it was refused, with counts. */
export interface RoleUsage {
  readonly functionName: string;
  readonly roleName: string;
  readonly allowed: readonly (AuthorizationCheck & { count: number })[];
  readonly denied: readonly (AuthorizationCheck & { count: number })[];
}

/** The edge's IAM: who a request comes from, and whether the stack's policies let it through. */
export interface LocalIam {
  /** Whether requests from functions are evaluated (operator credentials are never). */
  readonly enforcing: boolean;
  readonly credentials: LocalCredentials;
  /**
   * Installs the roles a deploy synthesized (replacing those of the same functions), and resolves once
   * the decisions on every ARN the statements name are made: the evaluator loads each service's action
   * data on first use, which must not land on a function's first calls (restart's run is time-boxed).
   */
  setRolePolicies(policies: LocalRolePolicies): Promise<void>;
  /** The roles in force, by local function name. */
  rolePolicies(): LocalRolePolicies;
  /**
   * Admits a request to its service: resolves with the request to hand on (a replay of it when its
   * body was read to authorize it), or `undefined` after answering it with AWS's AccessDenied.
   */
  admit(scope: SigningScope, req: IncomingMessage, res: ServerResponse): Promise<IncomingMessage | undefined>;
  /** What each role used and was refused so far, while enforcing. */
  usage(): RoleUsage[];
}

export interface LocalIamOptions {
  readonly credentials: LocalCredentials;
  readonly enforce: boolean;
  readonly region: string;
  readonly accountId: string;
  readonly logger?: Pick<Logger, "warn">;
}

/** The principal ARN a function's requests carry, as STS names a Lambda role session. */
export function assumedRoleArn(accountId: string, roleName: string, functionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${functionName}`;
}

/** IAM's decision for one authorization, by `runSimulation` of the role's identity policies. */
export async function isAllowed(
  role: RolePolicies,
  check: AuthorizationCheck,
  principal: string,
  accountId: string,
): Promise<boolean> {
  const simulation: Simulation = {
    identityPolicies: role.policies.map((p) => ({
      name: p.name,
      policy: { Version: "2012-10-17", Statement: p.statements as unknown[] },
    })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      action: check.action,
      principal,
      resource: { accountId, resource: check.resource },
      contextVariables: {},
    },
  };
  const result = await runSimulation(simulation, {});
  return result.resultType !== "error" && result.overallResult === "Allowed";
}

/**
 * @example
 * const iam = createLocalIam({ credentials: createLocalCredentials(), enforce: true, region, accountId });
 * iam.setRolePolicies(await loadStackRolePolicies({ ... }));
 */
export function createLocalIam(options: LocalIamOptions): LocalIam {
  let roles: Record<string, RolePolicies> = {};
  /** Decisions per role and authorization: policies change only on a deploy, which clears them. */
  let decisions = new Map<string, Promise<boolean>>();
  const usage = new Map<string, { allowed: Map<string, number>; denied: Map<string, number> }>();

  const record = (functionName: string, check: AuthorizationCheck, allowed: boolean) => {
    let u = usage.get(functionName);
    if (!u) {
      u = { allowed: new Map(), denied: new Map() };
      usage.set(functionName, u);
    }
    const map = allowed ? u.allowed : u.denied;
    const key = `${check.action} ${check.resource}`;
    map.set(key, (map.get(key) ?? 0) + 1);
  };

  const decide = (functionName: string, role: RolePolicies, check: AuthorizationCheck): Promise<boolean> => {
    const key = `${functionName}\n${check.action}\n${check.resource}`;
    let decision = decisions.get(key);
    if (!decision) {
      decision = isAllowed(
        role,
        check,
        assumedRoleArn(options.accountId, role.roleLogicalId, functionName),
        options.accountId,
      );
      decisions.set(key, decision);
    }
    return decision;
  };

  return {
    enforcing: options.enforce,
    credentials: options.credentials,
    async setRolePolicies(policies) {
      roles = { ...roles, ...policies };
      decisions = new Map();
      const warming: Promise<boolean>[] = [];
      for (const [functionName, role] of Object.entries(policies)) {
        for (const statement of role.policies.flatMap((p) => p.statements)) {
          for (const action of listOf(statement.Action)) {
            for (const resource of listOf(statement.Resource)) {
              if (!action.includes("*") && !resource.includes("*")) {
                warming.push(decide(functionName, role, { action, resource }));
              }
            }
          }
        }
      }
      await Promise.all(warming);
    },
    rolePolicies: () => roles,
    async admit(scope, req, res) {
      const functionName = options.credentials.functionOf(scope.accessKeyId);
      if (functionName === undefined || !options.enforce) return req;
      const role = roles[functionName];
      const body = await readWholeBody(req, maxAuthorizedBodyBytes);
      const request = {
        service: scope.service,
        method: req.method,
        url: req.url,
        headers: req.headers,
        body,
      };
      let checks: AuthorizationCheck[];
      try {
        checks = authorizationChecksOf(request, { region: options.region, accountId: options.accountId });
      } catch (error) {
        if (!(error instanceof UnauthorizableRequestError)) throw error;
        options.logger?.warn("local IAM refused a request it cannot map to an action", {
          functionName,
          error: error.message,
        });
        sendAccessDenied(
          res,
          scope.service,
          `${error.message}: the local cloud refuses what it cannot authorize`,
        );
        return undefined;
      }
      for (const check of checks) {
        const allowed = role !== undefined && (await decide(functionName, role, check));
        record(functionName, check, allowed);
        if (!allowed) {
          const principal = assumedRoleArn(
            options.accountId,
            role?.roleLogicalId ?? `${functionName}-no-role`,
            functionName,
          );
          const message = accessDeniedMessage(principal, check.action, check.resource);
          options.logger?.warn("local IAM denied a request", { functionName, ...check });
          const snsQuery = scope.service === "sns" && req.headers["x-amz-target"] === undefined;
          sendAccessDenied(res, scope.service, message, { query: snsQuery });
          return undefined;
        }
      }
      return replayRequest(req, body);
    },
    usage() {
      return [...usage.entries()].map(([functionName, u]) => ({
        functionName,
        roleName: roles[functionName]?.roleLogicalId ?? "",
        allowed: entries(u.allowed),
        denied: entries(u.denied),
      }));
    },
  };
}

function entries(map: Map<string, number>): (AuthorizationCheck & { count: number })[] {
  return [...map.entries()].map(([key, count]) => {
    const space = key.indexOf(" ");
    return { action: key.slice(0, space), resource: key.slice(space + 1), count };
  });
}
