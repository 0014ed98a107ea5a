import assert from "node:assert/strict";
import { it } from "node:test";
import { apiErrorData } from "./errors.js";

it("reads the API's error facts from a tRPC error's data, and nothing else", () => {
  assert.deepEqual(apiErrorData({ appCode: "RUN_NOT_FOUND", field: "id", httpStatus: 404 }), {
    appCode: "RUN_NOT_FOUND",
    field: "id",
    httpStatus: 404,
  });
  assert.equal(apiErrorData(undefined), undefined);
  assert.equal(apiErrorData({ code: "INTERNAL_SERVER_ERROR" }), undefined, "no answer from this API");
  assert.equal(apiErrorData({ appCode: 42 }), undefined);
});
