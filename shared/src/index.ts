export * from "./errors.js";
export * from "./fields.js";
export * from "./loadTest.js";
export * from "./paging.js";
export * from "./run.js";
export * from "./runStatus.js";
export * from "./script.js";
export * from "./scriptRevision.js";
