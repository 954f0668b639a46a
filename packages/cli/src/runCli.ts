import path from "node:path";
import { ConfigValidationError } from "@sqs-dispatcher/config";
import { Command, CommanderError } from "commander";
import { z } from "zod";
import { CommandFailedError, UsageError } from "./cliErrors.js";
import { type ActionInput, collectInput, type RunAction } from "./commands/action.js";
import { registerConsole } from "./commands/console.js";
import { registerDlq } from "./commands/dlq.js";
import { registerRoutes } from "./commands/routes.js";
import { registerScale } from "./commands/scale.js";
import { registerSend } from "./commands/send.js";
import { registerStatus } from "./commands/status.js";
import { type CliContext, createContext } from "./context.js";
import { type GlobalFlags, intFlag, parseFlags } from "./flags.js";
import { type CliIo, ExitCode } from "./io.js";

const localCloudFlags = {
  port: intFlag(0, 65_535),
  data: z.string().min(1).optional(),
};
const cloudSchema = z.strictObject(localCloudFlags);
const devSchema = z.strictObject({
  ...localCloudFlags,
  adminPort: intFlag(0, 65_535),
  demo: z.boolean(),
  resetRoutes: z.boolean().default(false),
  enforceIam: z.boolean().default(false),
  config: z.string().min(1).optional(),
});

/** An unexpected failure in words that say what to do, for the two a new user meets first. */
function describeFailure(error: unknown): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as Error & { code?: string }).code;
  if (code === "ECONNREFUSED") {
    return `${e.message}: is the local cloud running? (pnpm dev, or pnpm dispatcher cloud; --endpoint URL for another port)`;
  }
  if (e.name === "CredentialsProviderError") {
    return `${e.message}: no AWS credentials (set AWS_PROFILE or pass --profile; use --local for the local cloud)`;
  }
  return `${e.name}: ${e.message}`;
}

/**
 * The local cloud (esbuild, dynalite, fauxqs, ...), loaded only by `dev` and `cloud`: commands that
 * act on AWS never load it, and an install without it (an optional peer dependency) still runs them.
 */
async function loadLocalCloud(): Promise<typeof import("@sqs-dispatcher/local")> {
  try {
    return await import("@sqs-dispatcher/local");
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
    throw new CommandFailedError(
      "the local cloud is not installed: add @sqs-dispatcher/local to use 'dev' and 'cloud'",
      {},
      { cause: error },
    );
  }
}

/** Lines of an error as the user sees them: `error: <line>`. */
function printError(io: CliIo, message: string): void {
  for (const line of message.split("\n")) io.stderr.write(`error: ${line}\n`);
}

function buildProgram(io: CliIo, contexts: CliContext[]): Command {
  const program = new Command()
    .name("dispatcher")
    .description("sqs-dispatcher: keep many SQS queues drained on Lambda, on AWS or on the local cloud")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(add --help for usage)")
    .option("--json", "print state as JSON")
    .option("--local", "act on the local cloud at http://127.0.0.1:4566 (test credentials)")
    .option("--endpoint <url>", "act on a local cloud at this endpoint (implies --local)")
    .option("--stage <stage>", "AWS stage (default: $DISPATCHER_STAGE or 'dev'; 'local' with --local)")
    .option("--region <region>", "AWS region (default: the SDK's chain, us-east-1 locally)")
    .option("--profile <profile>", "AWS shared-config profile (default: the SDK's chain)")
    .option("--config <path>", "the registry module (default: ./dispatcher.config.ts)")
    .addHelpText(
      "after",
      `
Targets: --local (or --endpoint URL) acts on the local cloud; otherwise the standard AWS
credential chain (AWS_PROFILE or --profile, AWS_REGION or --region) and --stage.
Exit codes: 0 ok, 1 the command failed, 2 bad usage (nothing was written).

Examples:
  $ pnpm dev --no-demo
  $ pnpm dispatcher routes set orders --function record --local
  $ pnpm dispatcher status --local --json
  $ pnpm dispatcher send orders --count 1000 --batch --local`,
    );

  const run: RunAction = (schema, body) =>
    async function action(this: Command, ...args: unknown[]) {
      const command = args.at(-1) as Command;
      const flags = parseFlags(schema, collectInput(command, args.slice(0, -2)));
      const context = await createContext(flags as GlobalFlags, io);
      contexts.push(context);
      await body({ flags, context, io } as ActionInput<typeof flags>);
    };

  registerRoutes(program, run);
  registerStatus(program, run);
  registerScale(program, run);
  registerSend(program, run);
  registerDlq(program, run);
  registerConsole(program, run);

  program
    .command("cloud")
    .description("run the local cloud (SQS, SNS, DynamoDB, Lambda, SSM, CloudWatch alarms) in the foreground")
    .option("--port <port>", "edge port on 127.0.0.1", "4566")
    .option(
      "--data <dir>",
      "persist DynamoDB, SSM and functions created with the Lambda API under this folder (default: in memory)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  $ pnpm dispatcher cloud\n  $ pnpm dispatcher cloud --port 4570 --data .dispatcher/data\n",
    )
    .action(async (_opts: unknown, command: Command) => {
      const flags = parseFlags(cloudSchema, command.opts());
      const { runCloud } = await loadLocalCloud();
      await runCloud(
        { port: flags.port, dataDir: flags.data },
        {
          out: (line) => void io.stdout.write(`${line}\n`),
          err: (line) => void io.stderr.write(`${line}\n`),
        },
      );
    });

  program
    .command("dev")
    .description(
      "run the whole platform locally: local cloud, registry deployed, and a demo with live status",
    )
    .option("--port <port>", "edge port on 127.0.0.1", "4566")
    .option(
      "--data <dir>",
      "persist DynamoDB, SSM and functions created with the Lambda API under this folder (default: in memory)",
    )
    .option("--admin-port <port>", "local admin API port on 127.0.0.1 (0 picks a free one)", "4567")
    .option("--no-demo", "deploy the registry but send no demo traffic")
    .option("--reset-routes", "reset routes edited at run time to the registry's")
    .option(
      "--enforce-iam",
      "evaluate every function's calls against its role's policies as the SST stack synthesizes them (first start synthesizes, ~10-30 s); write the used/unused report on stop",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  $ pnpm dev\n  $ pnpm dev --no-demo\n  $ pnpm dev --enforce-iam\n  $ pnpm dispatcher dev --port 4570 --admin-port 4571 --data .dispatcher/data\n",
    )
    .action(async (_opts: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as { config?: string };
      const flags = parseFlags(devSchema, { ...command.opts(), config: globals.config });
      const { runDev } = await loadLocalCloud();
      await runDev({
        port: flags.port,
        adminApiPort: flags.adminPort,
        dataDir: flags.data,
        demo: flags.demo,
        resetRoutes: flags.resetRoutes,
        enforceIam: flags.enforceIam,
        ...(flags.config !== undefined
          ? { configPath: path.resolve(io.cwd ?? process.cwd(), flags.config) }
          : {}),
        out: io.stdout,
      });
    });

  return program;
}

/**
 * Runs the `dispatcher` command line in process and returns its exit code: 0 ok, 1 the command
 * failed, 2 bad usage (with nothing written). `main.ts` calls it with the real process streams;
 * tests call it with collectors.
 *
 * @example
 * const code = await runCli(["routes", "list", "--local", "--json"], { stdout: process.stdout, stderr: process.stderr });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const contexts: CliContext[] = [];
  const program = buildProgram(io, contexts);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its own `error: ...` already.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.Ok;
      return ExitCode.Usage;
    }
    if (error instanceof UsageError) {
      printError(io, error.message);
      return ExitCode.Usage;
    }
    if (error instanceof CommandFailedError || error instanceof ConfigValidationError) {
      printError(io, error.message);
      return ExitCode.Failure;
    }
    printError(io, describeFailure(error));
    return ExitCode.Failure;
  } finally {
    for (const context of contexts) context.close();
  }
}
