import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { codeSizeLimits, FunctionCodeError, locateZipHandler, unpackFunctionCode } from "./functionCode.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "function-code-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const zip = (files: Record<string, string>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([p, t]) => [p, Buffer.from(t)])));

describe("unpackFunctionCode", () => {
  it("unpacks into a fresh folder per upload and points at the handler's file", async () => {
    const code = zip({ "lib/app.mjs": "export const go = 1;" });
    const first = await unpackFunctionCode({
      zip: code,
      functionsRoot: root,
      functionName: "f",
      handler: "lib/app.go",
    });
    const second = await unpackFunctionCode({
      zip: code,
      functionsRoot: root,
      functionName: "f",
      handler: "lib/app.go",
    });
    expect(first.modulePath).toBe(join(first.taskRoot, "lib", "app.mjs"));
    expect(first.exportName).toBe("go");
    expect(await readFile(first.modulePath, "utf8")).toBe("export const go = 1;");
    expect(second.taskRoot).not.toBe(first.taskRoot);
    expect(first.codeSize).toBe(code.byteLength);
  });

  it("refuses a zip past 50 MB as CodeStorageExceededException, before reading it", async () => {
    const tooLarge = new Uint8Array(codeSizeLimits.zippedBytes + 1);
    await expect(
      unpackFunctionCode({ zip: tooLarge, functionsRoot: root, functionName: "f", handler: "a.b" }),
    ).rejects.toMatchObject({ name: "FunctionCodeError", errorType: "CodeStorageExceededException" });
  });

  it("refuses contents past the unzipped limit (250 MB on Lambda), counted before inflating", async () => {
    const limits = { ...codeSizeLimits, unzippedBytes: 1000 };
    const big = zipSync({ "a.bin": new Uint8Array(600), "b.bin": new Uint8Array(600) });
    const error = await unpackFunctionCode({
      zip: big,
      functionsRoot: root,
      functionName: "f",
      handler: "a.b",
      limits,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionCodeError);
    expect((error as FunctionCodeError).errorType).toBe("CodeStorageExceededException");
    expect(existsSync(join(root, "f"))).toBe(false);
  });

  it("refuses what is not a zip, and entries that leave the code folder", async () => {
    await expect(
      unpackFunctionCode({
        zip: Buffer.from("not a zip"),
        functionsRoot: root,
        functionName: "f",
        handler: "a.b",
      }),
    ).rejects.toMatchObject({ errorType: "InvalidParameterValueException" });
    await expect(
      unpackFunctionCode({
        zip: zip({ "../escape.js": "x" }),
        functionsRoot: root,
        functionName: "f",
        handler: "a.b",
      }),
    ).rejects.toMatchObject({ errorType: "InvalidParameterValueException" });
  });
});

describe("locateZipHandler", () => {
  it("keeps the .js path when no file exists, so the first invoke fails to import it as on AWS", () => {
    expect(locateZipHandler(root, "missing.handler")).toEqual({
      modulePath: join(root, "missing.js"),
      exportName: "handler",
    });
  });
});
