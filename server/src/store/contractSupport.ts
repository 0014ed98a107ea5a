import { randomUUID } from "node:crypto";
import type { LoadTest } from "@loadmgr/shared";
import { makeLoadTest } from "../../../test/helpers/fixtures.js";
import type { Store } from "./store.js";

export const PAGE = { limit: 50 };

/** A new test, with its revision 1, in an account of its own (so listings see only this test's). */
export async function newTestIn(store: Store, overrides: Partial<LoadTest> = {}): Promise<LoadTest> {
  const { test, revision } = makeLoadTest({ accountId: `acc-${randomUUID()}`, ...overrides });
  await store.tests.create(test, revision, []);
  return test;
}
