import assert from "node:assert/strict";
import { it } from "node:test";
import { newId } from "./ids.js";

it("makes UUIDv7 ids that sort in creation order, also within one millisecond", () => {
  const ids = Array.from({ length: 5000 }, () => newId(1_700_000_000_000));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  assert.match(ids[0] ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const later = newId(1_700_000_000_005);
  assert.ok(later > (ids.at(-1) ?? ""));
});
