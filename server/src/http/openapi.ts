import { generateOpenApiDocument, type OpenApiRouter } from "trpc-to-openapi";
import { stringify } from "yaml";
import { appRouter } from "../routers/index.js";

export type OpenApiDocument = ReturnType<typeof generateOpenApiDocument>;

const INTERNAL_PREFIX = "/v1/internal/";

/**
 * The published document lists the public procedures; `internal: true` gives the one for plugin
 * authors (the token-protected ingest endpoints only).
 */
export function buildOpenApiDocument(options: { baseUrl: string; internal?: boolean }): OpenApiDocument {
  const internal = options.internal ?? false;
  const document = generateOpenApiDocument(appRouter as OpenApiRouter, {
    title: internal ? "Load Manager internal ingest API" : "Load Manager API",
    description: internal
      ? "Endpoints that the Locust plugin calls. Authenticated by a per-run ingest token."
      : "Define Locust load tests once, run them many times, keep every run's results. " +
        "Authenticate with `Authorization: Bearer <token>`. Errors are JSON: `{ code, message, field?, issues? }`.",
    version: "0.1.0",
    baseUrl: options.baseUrl,
    filter: ({ metadata }) => metadata.openapi.path.startsWith(INTERNAL_PREFIX) === internal,
  });
  if (!internal) Object.assign(document.paths ?? {}, CSV_EXPORT_PATHS);
  return document;
}

const runIdParameter = { name: "id", in: "path", required: true, schema: { type: "string" }, description: "run id" };
const windowParameters = ["from", "to"].map((name) => ({
  name,
  in: "query",
  required: false,
  schema: { type: "integer", minimum: 0 },
  description: `only snapshots ${name === "from" ? "at or after" : "at or before"} this time (unix ms)`,
}));

function csvExport(summary: string, parameters: object[]) {
  return {
    get: {
      tags: ["analytics"],
      summary,
      security: [{ Authorization: [] }],
      parameters,
      responses: {
        "200": { description: "CSV, one header row, columns named as in the JSON form", content: { "text/csv": {} } },
        default: { description: "Error: `{ code, message, field? }`", content: { "application/json": {} } },
      },
    },
  };
}

/** Served beside the OpenAPI layer (its responses are JSON only), listed here so the document stays whole. */
const CSV_EXPORT_PATHS = {
  "/v1/runs/{id}/requests.csv": csvExport("The per-endpoint rows of /v1/runs/{id}/requests as CSV, total last", [
    runIdParameter,
  ]),
  "/v1/runs/{id}/metrics/timeseries.csv": csvExport("The points of /v1/runs/{id}/metrics/timeseries as CSV", [
    runIdParameter,
    ...windowParameters,
    { name: "name", in: "query", required: false, schema: { type: "string" }, description: "only this endpoint name" },
  ]),
};

export function toYaml(document: OpenApiDocument): string {
  return stringify(document, { aliasDuplicateObjects: false });
}
