#!/usr/bin/env node
import { createInterface } from "node:readline/promises";
import { runCli } from "./runCli.js";

// The SDK warns on every run that future versions need Node 22; the project runs on Node 20
// (package.json "engines"), so the CLI keeps that one warning out of its stderr and prints any other.
// The same holds for the local cloud's functions, whose worker threads read this process's environment.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  const text = `${warning.name}: ${warning.message}`;
  if (!text.includes("NodeVersionSupportWarning")) process.stderr.write(`${text}\n`);
});

/** Reads one line from a terminal; not offered when stdin is a pipe (commands then need --yes). */
async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  ...(process.stdin.isTTY ? { prompt } : {}),
});
