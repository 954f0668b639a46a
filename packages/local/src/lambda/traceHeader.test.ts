import { describe, expect, it } from "vitest";
import {
  formatTraceHeader,
  lineageHash,
  maxRecursiveInvocations,
  nextChainStep,
  parseTraceHeader,
} from "./traceHeader.js";

const arn = "arn:aws:lambda:us-east-1:000000000000:function:poller";
const other = "arn:aws:lambda:us-east-1:000000000000:function:handler";

describe("trace header lineage", () => {
  it("starts a chain at count 1 with a new root when the caller sent no header", () => {
    const step = nextChainStep(undefined, arn, Date.UTC(2026, 0, 1));
    expect(step.count).toBe(1);
    expect(step.exceedsLimit).toBe(false);
    expect(step.header).toMatch(
      new RegExp(
        `^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=1:${lineageHash(arn)}:1$`,
      ),
    );
  });

  it("keeps the root and counts each function separately along a chain", () => {
    const first = nextChainStep(undefined, arn, 0);
    const second = nextChainStep(first.header, other, 0);
    const third = nextChainStep(second.header, arn, 0);
    expect(third.count).toBe(2);
    const parsed = parseTraceHeader(third.header);
    expect(parsed?.root).toBe(parseTraceHeader(first.header)?.root);
    expect(parsed?.lineage).toEqual(
      expect.arrayContaining([
        { hash: lineageHash(other), count: 1 },
        { hash: lineageHash(arn), count: 2 },
      ]),
    );
  });

  it("exceeds the limit on the 17th invocation of the same function", () => {
    let header: string | undefined;
    const counts: boolean[] = [];
    for (let i = 0; i < maxRecursiveInvocations + 1; i += 1) {
      const step = nextChainStep(header, arn, 0);
      counts.push(step.exceedsLimit);
      header = step.header;
    }
    expect(counts.slice(0, 16).every((exceeded) => !exceeded)).toBe(true);
    expect(counts[16]).toBe(true);
  });

  it("reads AWS's older `hash:count` lineage entries joined by |", () => {
    const parsed = parseTraceHeader(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Lineage=a87bd80c:1|68fd508a:5",
    );
    expect(parsed).toEqual({
      root: "1-5759e988-bd862e3fe1be46a994272793",
      sampled: "1",
      lineage: [
        { hash: "a87bd80c", count: 1 },
        { hash: "68fd508a", count: 5 },
      ],
    });
    expect(formatTraceHeader(parsed!)).toBe(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Lineage=1:a87bd80c:1|1:68fd508a:5",
    );
  });

  it("treats a header without Root as no chain", () => {
    expect(parseTraceHeader("Sampled=0")).toBeUndefined();
    expect(nextChainStep("garbage", arn, 0).count).toBe(1);
  });
});
