import type { Clock } from "@sqs-dispatcher/core";
import type { LocalCloud, LocalDeployment } from "@sqs-dispatcher/local";
import type { SoakProbes } from "./soakProbes.js";

/** What every phase of a soak works with: the cloud, the deployment, its queues, probes and clock. */
export interface SoakRun {
  readonly cloud: LocalCloud;
  readonly deployment: LocalDeployment;
  readonly clock: Clock;
  readonly probes: SoakProbes;
  /** A queue's URL by its name. */
  readonly urlOf: (name: string) => string;
  /** A queue's URL and DLQ URL by its name. */
  readonly urls: Record<string, { url: string; dlqUrl?: string }>;
  /** Progress lines (phase changes, counts). */
  readonly progress: (line: string) => void;
}
