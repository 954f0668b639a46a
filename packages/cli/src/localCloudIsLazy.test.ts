import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const cliSrc = fileURLToPath(new URL(".", import.meta.url));
const localCloud = "@sqs-dispatcher/local";

/** A module a file loads: statically (`import`/`export ... from`, `import x = require()`) or by `import()`. */
interface ModuleLoad {
  specifier: string;
  kind: "static" | "dynamic";
  /** The `import()` call, for a dynamic load. */
  node?: ts.CallExpression;
}

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/**
 * Every module `source` loads at run time, read from its syntax tree. Type-only imports
 * (`import type`, `typeof import("x")`) are left out: the compiler erases them.
 */
function moduleLoads(source: ts.SourceFile): ModuleLoad[] {
  const loads: ModuleLoad[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) loads.push({ specifier: node.moduleSpecifier.text, kind: "static" });
    } else if (
      ts.isExportDeclaration(node) &&
      !node.isTypeOnly &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      loads.push({ specifier: node.moduleSpecifier.text, kind: "static" });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      !node.isTypeOnly &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      loads.push({ specifier: node.moduleReference.expression.text, kind: "static" });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      loads.push({
        specifier: arg !== undefined && ts.isStringLiteralLike(arg) ? arg.text : "(computed)",
        kind: "dynamic",
        node,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return loads;
}

/** The name of the function declaration `node` sits in, if any. */
function enclosingFunctionName(node: ts.Node): string | undefined {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (ts.isFunctionDeclaration(at)) return at.name?.text;
  }
  return undefined;
}

/**
 * The commander command whose `.action(...)` callback holds `node`: the string given to
 * `.command("...")` in the same call chain.
 */
function enclosingCommand(node: ts.Node): string | undefined {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (
      ts.isCallExpression(at) &&
      ts.isPropertyAccessExpression(at.expression) &&
      at.expression.name.text === "action"
    ) {
      for (let link: ts.Expression = at.expression.expression; ; ) {
        if (!ts.isCallExpression(link) || !ts.isPropertyAccessExpression(link.expression)) break;
        const [first] = link.arguments;
        if (link.expression.name.text === "command" && first !== undefined && ts.isStringLiteral(first)) {
          return first.text.split(" ")[0];
        }
        link = link.expression.expression;
      }
    }
  }
  return undefined;
}

/** Every call of the function named `name` in `source`. */
function callsOf(source: ts.SourceFile, name: string): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === name) {
      calls.push(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return calls;
}

async function sources(dir: string): Promise<ts.SourceFile[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name));
  return Promise.all(files.map(async (file) => parse(file, await readFile(file, "utf8"))));
}

const isLocalCloud = (load: ModuleLoad) =>
  load.specifier === localCloud || load.specifier.startsWith(`${localCloud}/`);

describe("reading module loads from the syntax tree", () => {
  it("sees static, re-exported, required and dynamic loads, and leaves type-only imports out", () => {
    const source = parse(
      "example.ts",
      [
        'import { a } from "static-a";',
        'import * as b from "static-b";',
        'import "side-effect";',
        'export { c } from "re-export";',
        'import d = require("required");',
        'import type { T } from "type-only";',
        'import { type U } from "type-only-named";',
        'type V = typeof import("type-position");',
        "const lazy = async () => {",
        '  const m = await import("dynamic");',
        "  return (await import(`template`)).x;",
        "};",
        '// await import("in-a-comment")',
        'const text = "import(\\"in-a-string\\")";',
      ].join("\n"),
    );
    expect(moduleLoads(source).map((l) => `${l.kind} ${l.specifier}`)).toEqual([
      "static static-a",
      "static static-b",
      "static side-effect",
      "static re-export",
      "static required",
      "dynamic dynamic",
      "dynamic template",
    ]);
  });
});

describe("the dispatcher CLI and the local cloud", () => {
  it("never imports the local cloud statically: AWS commands do not load esbuild, dynalite or fauxqs", async () => {
    const offenders: string[] = [];
    for (const source of await sources(cliSrc)) {
      if (moduleLoads(source).some((l) => l.kind === "static" && isLocalCloud(l))) {
        offenders.push(relative(cliSrc, source.fileName));
      }
    }
    expect(offenders).toEqual([]);
  });

  it("loads it only from dev and cloud, through one lazy import", async () => {
    const all = await sources(cliSrc);
    const lazy = all.flatMap((source) =>
      moduleLoads(source)
        .filter((l) => l.kind === "dynamic" && isLocalCloud(l))
        .map((l) => ({
          file: relative(cliSrc, source.fileName),
          fn: l.node && enclosingFunctionName(l.node),
        })),
    );
    expect(lazy).toEqual([{ file: "runCli.ts", fn: "loadLocalCloud" }]);

    const callers = all.flatMap((source) =>
      callsOf(source, "loadLocalCloud").map((call) => ({
        file: relative(cliSrc, source.fileName),
        command: enclosingCommand(call),
      })),
    );
    expect(callers.sort((a, b) => String(a.command).localeCompare(String(b.command)))).toEqual([
      { file: "runCli.ts", command: "cloud" },
      { file: "runCli.ts", command: "dev" },
    ]);
  });

  it("reaches no package that imports the local cloud (config and core stay free of it)", async () => {
    const packagesDir = fileURLToPath(new URL("../../", import.meta.url));
    for (const pkg of ["config", "core"]) {
      for (const source of await sources(join(packagesDir, pkg, "src"))) {
        expect(moduleLoads(source).filter(isLocalCloud), source.fileName).toEqual([]);
      }
    }
  });
});
