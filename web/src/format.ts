// The dashboard's number formats are shared with the report and the CLI's summary.
export * from "../../shared/src/format.js";
