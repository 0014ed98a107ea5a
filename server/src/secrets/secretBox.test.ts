import assert from "node:assert/strict";
import { it } from "node:test";
import { secretBinding, SecretBox } from "./secretBox.js";

const scope = { accountId: "a", orgId: "o", projectId: "p", envId: null, name: "KEY" };

it("seals a value so that only the same key, for the same secret, opens it", () => {
  const box = SecretBox.withKey("key-one-0123456789");
  const sealed = box.seal("hunter2-value", secretBinding(scope));
  assert.equal(sealed.includes("hunter2"), false);
  assert.notEqual(sealed, box.seal("hunter2-value", secretBinding(scope)), "a fresh nonce each time");
  assert.equal(box.open(sealed, secretBinding(scope)), "hunter2-value");
  assert.throws(() => box.open(sealed, secretBinding({ ...scope, projectId: "other" })));
  assert.throws(() => SecretBox.withKey("key-two-0123456789").open(sealed, secretBinding(scope)));
  const [v, iv, body, tag] = sealed.split(".");
  const flipped = `${v}.${iv}.${(body ?? "").replace(/^./, (c) => (c === "A" ? "B" : "A"))}.${tag}`;
  assert.throws(() => box.open(flipped, secretBinding(scope)));
});
