import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import pkg from "../../package.json";
import { call } from "../helpers";

// /docs is served by Workers static assets (public/docs/, wrangler.toml [assets]), never by the
// Worker: these tests ask the assets binding directly. The real-browser proof that the page renders
// offline under its CSP is test/browser/docs.browser.test.ts.
const assets = (env as unknown as { ASSETS: Fetcher }).ASSETS;
const get = (path: string) => assets.fetch(new Request(`http://keyward.test${path}`, { redirect: "manual" }));

function csp(res: Response): Map<string, string[]> {
  const header = res.headers.get("content-security-policy") ?? "";
  return new Map(
    header
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe("/docs", () => {
  it("sends /docs to /docs/, which serves the Swagger UI page under a script-src 'self' CSP", async () => {
    const bare = await get("/docs");
    expect([301, 302, 307, 308]).toContain(bare.status);
    expect(new URL(bare.headers.get("location")!, "http://keyward.test/").pathname).toBe("/docs/");

    const page = await get("/docs/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain('data-openapi-url="/openapi.json"');
    // Every script is an external file from this origin: no inline script, nothing absolute.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((s) => s[1]!.match(/src="([^"]+)"/)?.[1])).toEqual(["/docs/vendor/swagger-ui-bundle.js", "/docs/init.js"]);
    for (const s of scripts) expect(s[2]!.trim()).toBe("");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

    const policy = csp(page);
    expect(policy.get("script-src")).toEqual(["'self'"]);
    expect(policy.get("default-src")).toEqual(["'none'"]);
    expect(policy.get("connect-src")).toEqual(["'self'"]);
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("serves the vendored, pinned Swagger UI and its boot script under the same CSP", async () => {
    const pinned = pkg.devDependencies["swagger-ui-dist"];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await (await get("/docs/vendor/VERSION")).text()).toBe(`swagger-ui-dist ${pinned}\n`);
    for (const path of ["/docs/vendor/swagger-ui-bundle.js", "/docs/vendor/swagger-ui.css", "/docs/init.js"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(csp(res).get("script-src"), path).toEqual(["'self'"]);
      await res.body?.cancel();
    }
    expect(await (await get("/docs/init.js")).text()).toContain("validatorUrl: null");
  });

  // The first request through the Worker in a file pays for loading its modules, hence the timeout.
  it("is not a Worker route: the Worker answers it 404 (only static assets serve /docs)", { timeout: 30_000 }, async () => {
    const res = await call("/docs", { auth: null });
    expect(res.status).toBe(404);
  });
});
