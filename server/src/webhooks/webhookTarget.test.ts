import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPrivateAddress, resolveTarget, WebhookTargetError } from "./webhookTarget.js";

describe("where a webhook may go", () => {
  it("refuses loopback, link-local, private, shared, multicast and reserved addresses, v4, v6 and v4-mapped", () => {
    for (const address of [
      "127.0.0.1",
      "127.9.9.9",
      "0.0.0.0",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "fc12::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1", // the same, as a URL spells it
      "[::ffff:7f00:1]",
      "::ffff:10.0.0.1",
      "::127.0.0.1",
      "64:ff9b::a00:1",
      "64:ff9b::7f00:1",
      "2002:a9fe:a9fe::1", // 6to4 of 169.254.169.254
      "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo of 192.0.2.45
      "fe80::1%eth0",
      // documentation and benchmarking ranges
      "192.0.2.10",
      "198.51.100.7",
      "203.0.113.200",
      "198.18.0.1",
      "198.19.255.255",
      "2001:db8::1",
      "3fff::1",
      "not-an-address",
    ]) {
      assert.equal(isPrivateAddress(address), true, address);
    }
  });

  it("lets public addresses through", () => {
    for (const address of [
      "8.8.8.8",
      "172.32.0.1",
      "192.169.0.1",
      "100.128.0.1",
      "2001:4860:4860::8888",
      "2606:4700:4700::1111",
      "::ffff:8.8.8.8",
      "::ffff:808:808",
      "64:ff9b::808:808",
      "2002:808:808::1",
    ]) {
      assert.equal(isPrivateAddress(address), false, address);
    }
  });

  it("resolves a name once and refuses it when any of its addresses is inside, unless allowed", async () => {
    await assert.rejects(resolveTarget(new URL("http://localhost:9/x"), false), WebhookTargetError);
    await assert.rejects(resolveTarget(new URL("http://[::1]:9/x"), false), /::1, a loopback, link-local or private/);
    await assert.rejects(resolveTarget(new URL("http://169.254.169.254/latest"), false), /169\.254\.169\.254/);
    assert.deepEqual(await resolveTarget(new URL("http://127.0.0.1:9/x"), true), { address: "127.0.0.1", family: 4 });
    await assert.rejects(resolveTarget(new URL("http://no-such-host.invalid/x"), true), /does not resolve/);
    // IPv6 URLs are checked like IPv4 ones, in whatever spelling the URL gives them.
    assert.deepEqual(await resolveTarget(new URL("https://[2606:4700::1111]:8443/hook"), false), {
      address: "2606:4700::1111",
      family: 6,
    });
    await assert.rejects(
      resolveTarget(new URL("http://[::ffff:127.0.0.1]:9/x"), false),
      /loopback, link-local or private/,
    );
    await assert.rejects(resolveTarget(new URL("http://[fd12::1]/x"), false), /fd12::1/);
  });
});
