import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { LocalService } from "../edge/localService.js";
import { ensurePrivateDir } from "../privateDir.js";

export interface DynamoDbServiceOptions {
  /** Persist tables under `<dataDir>/dynamodb` (LevelDB); in memory when absent. */
  readonly dataDir?: string;
  readonly region: string;
  readonly accountId: string;
}

/** The parts of dynalite's internal store this service touches (dynalite ships no types). */
interface DynaliteStore {
  tableDb?: { awsRegion?: string; awsAccountId?: string };
  db: { open?: () => Promise<void> };
  lifecycleManager: { gracefulClose(callback: (error?: Error | null) => void): void };
}
type DynaliteFactory = (options: Record<string, unknown>) => Server;
interface DynaliteDbModule {
  create(options: Record<string, unknown>): DynaliteStore;
}

const require = createRequire(import.meta.url);

/** How long close() waits for requests in flight before closing the database anyway. */
const closeGraceMs = 5_000;

/**
 * DynamoDB (JSON 1.0) served in-process by dynalite behind the edge, without a port of its own.
 *
 * dynalite only hands out an `http.Server` and closes its LevelDB from that server's `close()`, which
 * refuses to run on a server that never listened. The store is therefore captured as dynalite creates
 * it, so `close()` can release the database (and its on-disk lock, which a restarted cloud needs).
 */
export async function createDynamoDbService(options: DynamoDbServiceOptions): Promise<LocalService> {
  const dynalite = require("dynalite") as DynaliteFactory;
  const dynaliteDb = require("dynalite/db") as DynaliteDbModule;

  let path: string | undefined;
  if (options.dataDir !== undefined) {
    path = join(options.dataDir, "dynamodb");
    await ensurePrivateDir(options.dataDir);
    await ensurePrivateDir(path);
  }

  const originalCreate = dynaliteDb.create;
  let store: DynaliteStore | undefined;
  let server: Server;
  dynaliteDb.create = (storeOptions) => {
    store = originalCreate(storeOptions);
    return store;
  };
  try {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path ? { path } : {}) });
  } finally {
    dynaliteDb.create = originalCreate;
  }
  if (!store) throw new Error("dynalite did not create its store through dynalite/db");
  const captured = store;
  // dynalite reads these from process.env at creation; table ARNs should name the cloud's region and account.
  if (captured.tableDb) {
    captured.tableDb.awsRegion = options.region;
    captured.tableDb.awsAccountId = options.accountId;
  }
  // Open now so a locked or corrupt data folder fails the start, not the first request.
  await captured.db.open?.();

  const listener = server.listeners("request")[0] as
    | ((req: IncomingMessage, res: ServerResponse) => void)
    | undefined;
  if (!listener) throw new Error("dynalite's server has no request listener");

  // Requests dynalite is still working on. A client that went away (the edge closing its
  // sockets) does not stop dynalite mid-request: closing the database under it would throw
  // "Database is not open" from a LevelDB callback, so close() waits for these first.
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const settle = () => {
    inFlight--;
    if (inFlight === 0) drained?.();
  };

  return {
    signingNames: ["dynamodb"],
    handle(req, res) {
      inFlight++;
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      let settled = false;
      res.end = ((...args: unknown[]) => {
        if (!settled) {
          settled = true;
          settle();
        }
        return end(...args);
      }) as ServerResponse["end"];
      listener(req, res);
    },
    async close() {
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const giveUp = setTimeout(resolve, closeGraceMs);
          drained = () => {
            clearTimeout(giveUp);
            resolve();
          };
        });
      }
      await new Promise<void>((resolve, reject) => {
        captured.lifecycleManager.gracefulClose((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}
