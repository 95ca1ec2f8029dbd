import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

const files = sourceFiles(SRC);
const known = new Set(files);

/** The src files a module imports (static, dynamic and type-only imports alike). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\()"(\.[^"]+)"/g)].map((m) => m[1]!);
  return specs.flatMap((spec) => {
    const base = normalize(join(dirname(file), spec));
    const found = [`${base}.ts`, `${base}.tsx`, join(base, "index.ts")].find((candidate) => known.has(candidate));
    return found ? [found] : [];
  });
}

/** Every cycle's members, by Tarjan's strongly connected components. */
function importCycles(): string[][] {
  const graph = new Map(files.map((file) => [file, importsOf(file)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const members: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      members.push(relative(ROOT, w));
    } while (w !== v);
    if (members.length > 1 || graph.get(v)!.includes(v)) cycles.push(members.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return cycles;
}

describe("the source tree's layout", () => {
  it("has no import cycle: data flows down from index.ts through routes to auth, the limiter and db", () => {
    expect(importCycles()).toEqual([]);
  });

  it("keeps every source file under 300 lines", () => {
    const long = files.map((file) => [relative(ROOT, file), readFileSync(file, "utf8").split("\n").length] as const).filter(([, n]) => n > 300);
    expect(long).toEqual([]);
  });

  it("lets no route file import another route file: shared pieces live in routes/access.ts, routes/webhook-access.ts and src/schemas/", () => {
    const routes = files.filter((file) => file.includes(`${join("src", "routes")}`) && !/routes[\\/](index|access|webhook-access)\.ts$/.test(file));
    const crossings = routes.flatMap((file) =>
      importsOf(file)
        .filter((target) => routes.includes(target))
        .map((target) => `${relative(ROOT, file)} → ${relative(ROOT, target)}`),
    );
    expect(crossings).toEqual([]);
  });
});
