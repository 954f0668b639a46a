#!/usr/bin/env node
import { Command } from "commander";
import { runCloud, runDev } from "@sqs-dispatcher/local";

const program = new Command()
  .name("dispatcher")
  .description("sqs-dispatcher: keep many SQS queues drained on Lambda, on AWS or on the local cloud")
  .showHelpAfterError();

program
  .command("cloud")
  .description("run the local cloud (SQS, SNS, DynamoDB, Lambda, SSM, CloudWatch alarms) in the foreground")
  .option("--port <port>", "edge port on 127.0.0.1", "4566")
  .option("--data <dir>", "persist DynamoDB under this folder (default: in memory)")
  .action(async (opts: { port: string; data?: string }) => {
    await runCloud({ port: Number(opts.port), dataDir: opts.data });
  });

program
  .command("dev")
  .description("run the whole platform locally: local cloud, registry deployed, and a demo with live status")
  .option("--port <port>", "edge port on 127.0.0.1", "4566")
  .option("--data <dir>", "persist DynamoDB under this folder (default: in memory)")
  .option("--no-demo", "deploy the registry but send no demo traffic")
  .action(async (opts: { port: string; data?: string; demo: boolean }) => {
    await runDev({ port: Number(opts.port), dataDir: opts.data, demo: opts.demo });
  });

await program.parseAsync(process.argv);
