import { describe, expect, it } from "vitest";
import { dlqNameOf } from "./ensureQueue.js";

describe("dlqNameOf", () => {
  it("suffixes a standard queue with -dlq and keeps a FIFO queue's DLQ FIFO", () => {
    expect(dlqNameOf("orders")).toBe("orders-dlq");
    expect(dlqNameOf("payments.fifo")).toBe("payments-dlq.fifo");
  });
});
