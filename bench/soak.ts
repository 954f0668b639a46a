import { parseArgs } from "node:util";
import { runSoak } from "./soak/runSoak.js";
import { round } from "./support/stats.js";
import { renderTable } from "./support/table.js";

// The project runs on Node 20 (package.json "engines"): the SDK's "needs Node 22 later" warning would repeat in every function's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const usage = `pnpm soak [--messages N] [--json] [--no-faults] [--no-scaling]

A chaos soak on a fresh local cloud: three busy queues (one FIFO), and three quiet ones (one FIFO,
no dedicated loop at rest) polled by a shared loop, whose traffic comes in waves with lulls between;
handler failures, crashes and timeouts, injected throttles and 5xx, killed execution environments,
a scale-up and a scale-down; every loop keeps several batches in flight and renews its lease on a
timer.
Prints what it saw and checks the invariants; exits 1 when one is broken.
  --messages N   messages to the busy queues, split over the three (default 21000); each quiet
                 queue gets a tenth of a busy queue's, in waves
  --no-faults    no injected errors or killed environments (a baseline)
  --no-scaling   no forced scale-up and scale-down (a run too small to hold an alarm)
  --json         print the report as JSON`;

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "21000" },
    json: { type: "boolean", default: false },
    "no-faults": { type: "boolean", default: false },
    "no-scaling": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const total = Number(values.messages);
if (!Number.isInteger(total) || total < 3) {
  console.error(
    `error: --messages must be a whole number of at least 3, got '${values.messages}'\n\n${usage}`,
  );
  process.exit(2);
}

const report = await runSoak({
  messagesPerQueue: Math.ceil(total / 3),
  faults: !values["no-faults"],
  scaling: !values["no-scaling"],
  onProgress: (line) => {
    if (!values.json) console.log(`  ${line}`);
  },
});
const inv = report.invariants;
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(
    `\n${renderTable(
      ["queue", "sent", "recorded", "in DLQ", "peak loops", "final loops"],
      report.queues.map((q) => [q.name, q.sent, q.recorded, q.inDlq, q.maxLoops, q.finalLoops]),
    )}\n`,
  );
  const injected = Object.entries(report.faultCounts)
    .map(([k, c]) => `${k} ${c.injected}/${c.seen}`)
    .join(", ");
  console.log(
    renderTable(
      ["invariant", "observed", "holds"],
      [
        [
          "no message lost (recorded or in its DLQ)",
          `${inv.lost.length} lost of ${inv.sent}`,
          inv.lost.length === 0 ? "yes" : "NO",
        ],
        ["queues drained", `${inv.leftInQueues} left`, inv.leftInQueues === 0 ? "yes" : "NO"],
        [
          "routes back to desired loops after faults stop",
          `${round(inv.convergenceSec, 1)} s (bound ${inv.convergenceBoundSec} s)`,
          inv.convergenceSec <= inv.convergenceBoundSec ? "yes" : "NO",
        ],
        [
          "no loop (dedicated or shared) alive on a revoked/taken-over lease",
          `${inv.zombieLoops.length} seen`,
          inv.zombieLoops.length === 0 ? "yes" : "NO",
        ],
        [
          "scale-up and scale-down happened",
          `${inv.scaledUp ? "up" : "-"} ${inv.scaledDown ? "down" : "-"}`,
          inv.scaledUp && inv.scaledDown ? "yes" : "NO",
        ],
        [
          "FIFO order per group (each message's last delivery in send order)",
          `${inv.fifoOrder.violations.length} out of order; ${inv.fifoOrder.deliveries} deliveries in ${inv.fifoOrder.groups} groups`,
          inv.fifoOrder.violations.length > 0 ? "NO" : inv.fifoOrder.groups > 0 ? "yes" : "(nothing logged)",
        ],
        ["duplicate rate (plain messages)", `${round(inv.duplicateRate * 100, 2)} %`, "(reported)"],
      ],
    ),
  );
  console.log(
    `\nfaults injected (injected/seen): ${injected || "none"}; environments killed: ${report.environmentsKilled}`,
  );
  const h = report.handler;
  console.log(
    `handler: ${h.invocations} invocations, ${h.errors} errors (${h.timeouts} timeouts), ${h.throttles} throttled, ${h.coldStarts} cold starts`,
  );
  const st = report.settings;
  console.log(
    `settings: concurrency ${st.concurrency} per loop, lease renewed every ${st.renewEverySec} s, stale after ${st.staleAfterSec} s, ${st.fifoGroups} FIFO groups`,
  );
  console.log(`duration: ${round(report.durationSec, 1)} s`);
  if (report.broken.length > 0) console.log(`\nBROKEN:\n- ${report.broken.join("\n- ")}`);
}
process.exit(report.broken.length === 0 ? 0 : 1);
