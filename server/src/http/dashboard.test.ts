import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { acceptedEncodings, dashboardFile } from "./dashboard.js";

describe("dashboard files", () => {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-dashboard-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const page = '<!doctype html><script type="module" src="/app-ABCDEFGH.js"></script>';
  const script = "export const x = 1;\n".repeat(50);
  writeFileSync(join(dir, "index.html"), page);
  writeFileSync(join(dir, "index.html.br"), brotliCompressSync(page));
  writeFileSync(join(dir, "app-ABCDEFGH.js"), script);
  writeFileSync(join(dir, "app-ABCDEFGH.js.br"), brotliCompressSync(script));
  writeFileSync(join(dir, "app-ABCDEFGH.js.gz"), gzipSync(script));
  writeFileSync(join(dir, "app-ABCDEFGH.js.map"), "{}");

  it("serves hashed names for good and the page revalidated, each with its ETag", async () => {
    const asset = await dashboardFile("/app-ABCDEFGH.js", {}, dir);
    assert.equal(asset?.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(
      (await dashboardFile("/app-ABCDEFGH.js.map", {}, dir))?.headers["cache-control"],
      asset?.headers["cache-control"],
    );
    const index = await dashboardFile("/", {}, dir);
    assert.equal(index?.status, 200);
    assert.equal(index?.headers["cache-control"], "no-cache");
    assert.equal(index?.body.toString(), page);
    const etag = index?.headers.etag ?? "";
    assert.match(etag, /^"[A-Za-z0-9_-]{27}"$/);
    const again = await dashboardFile("/", { ifNoneMatch: `"other", ${etag}` }, dir);
    assert.equal(again?.status, 304);
    assert.equal(again?.body, "");
    assert.equal(again?.page, page, "its CSP is still made from the page");
    assert.equal((await dashboardFile("/", { ifNoneMatch: '"other"' }, dir))?.status, 200);
  });

  it("sends the brotli or gzip copy the request accepts, else the file itself", async () => {
    const br = await dashboardFile("/app-ABCDEFGH.js", { acceptEncoding: "gzip, deflate, br" }, dir);
    assert.equal(br?.headers["content-encoding"], "br");
    assert.deepEqual(br?.body, brotliCompressSync(script));
    assert.equal(br?.headers.vary, "accept-encoding");
    const gz = await dashboardFile("/app-ABCDEFGH.js", { acceptEncoding: "gzip, br;q=0" }, dir);
    assert.equal(gz?.headers["content-encoding"], "gzip");
    const plain = await dashboardFile("/app-ABCDEFGH.js", { acceptEncoding: "identity" }, dir);
    assert.equal(plain?.headers["content-encoding"], undefined);
    assert.equal(plain?.body.toString(), script);
    // No gzip copy of the page: brotli or the page itself.
    assert.equal((await dashboardFile("/", { acceptEncoding: "gzip" }, dir))?.headers["content-encoding"], undefined);
    const packedPage = await dashboardFile("/", { acceptEncoding: "br" }, dir);
    assert.equal(packedPage?.headers["content-encoding"], "br");
    assert.equal(packedPage?.page, page, "the CSP is made from the page, not its brotli bytes");
  });

  it("reads the weights of Accept-Encoding", () => {
    assert.deepEqual(acceptedEncodings(undefined), []);
    assert.deepEqual(acceptedEncodings("gzip, deflate, br, zstd"), ["br", "gzip"]);
    assert.deepEqual(acceptedEncodings("BR;q=0.5"), ["br"]);
    assert.deepEqual(acceptedEncodings("*"), ["br", "gzip"]);
    assert.deepEqual(acceptedEncodings("*, gzip;q=0"), ["br"]);
    assert.deepEqual(acceptedEncodings("br;q=0, gzip;q=0"), []);
  });

  it("names nothing outside its folder, no compressed copy by itself, and says when it is not built", async () => {
    for (const path of ["/../package.json", "/app-ABCDEFGH.js.br", "/app-ABCDEFGH.js.gz", "/x/app.js", "/.env"]) {
      assert.equal(await dashboardFile(path, {}, dir), undefined, path);
    }
    const empty = mkdtempSync(join(tmpdir(), "loadmgr-dashboard-"));
    try {
      const missing = await dashboardFile("/", {}, empty);
      assert.equal(missing?.status, 503);
      assert.equal(missing?.headers["cache-control"], "no-store");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
