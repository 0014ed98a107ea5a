import { ERROR_CODES, RUN_FILE_NAMES } from "@loadmgr/shared";
import { generateOpenApiDocument, type OpenApiRouter } from "trpc-to-openapi";
import { stringify } from "yaml";
import { serverRouter } from "../routers/index.js";

export type OpenApiDocument = ReturnType<typeof generateOpenApiDocument>;

const INTERNAL_PREFIX = "/v1/internal/";

/** The committed documents (docs/), by whether each is the internal one. */
/**
 * The documents the server serves at /<name> and `npm run openapi` commits as docs/<name>: the public
 * API, and the internal ingest API that the Locust plugin (or another generator's plugin) calls.
 */
export const OPENAPI_DOCUMENTS = [
  "openapi.json",
  "openapi.yaml",
  "openapi-ingest.json",
  "openapi-ingest.yaml",
] as const;
export type OpenApiDocumentName = (typeof OPENAPI_DOCUMENTS)[number];

/** One of OPENAPI_DOCUMENTS as text (server URL relative: clients resolve it where they fetched it). */
export function renderOpenApi(name: OpenApiDocumentName): string {
  const document = buildOpenApiDocument({ baseUrl: "/", internal: name.startsWith("openapi-ingest") });
  return name.endsWith(".json") ? `${JSON.stringify(document, null, 2)}\n` : toYaml(document);
}

/** Procedures whose REST form answers 201 Created. */
export const CREATES = new Set([
  "loadTests.create",
  "scripts.update",
  "runs.create",
  "runs.liveTicket",
  "agentPools.create",
  "webhooks.create",
  "schedules.create",
]);

/** Reads that count against a token's concurrent heavy queries (429 TOO_MANY_HEAVY_QUERIES beyond it; graph: with a window). */
const HEAVY_READS = new Set([
  "get /v1/runs/{id}/graph",
  "get /v1/runs/{id}/metrics/timeseries",
  "get /v1/runs/{id}/metrics/timeseries.csv",
  "get /v1/runs/{id}/metrics/scatter",
  "get /v1/runs/{id}/metrics/aggregate",
]);

/** Writes that may need the run sandbox (503 SANDBOX_UNAVAILABLE when it cannot be set up, besides STORE_UNAVAILABLE). */
const STARTS_RUNS = new Set(["post /v1/load-tests/{id}/runs"]);

/**
 * The published document lists the public procedures; `internal: true` gives the one for plugin
 * authors (the token-protected ingest endpoints only).
 */
export function buildOpenApiDocument(options: { baseUrl: string; internal?: boolean }): OpenApiDocument {
  const internal = options.internal ?? false;
  const document = generateOpenApiDocument(serverRouter as OpenApiRouter, {
    title: internal ? "Load Manager internal ingest API" : "Load Manager API",
    description: internal
      ? "Endpoints that the Locust plugin and the agents call. Ingest: a per-run ingest token; agents: their pool's enrollment token."
      : "Define Locust load tests once, run them many times, keep every run's results. " +
        "Authenticate with `Authorization: Bearer <token>`. Errors are JSON: `{ code, message, field?, issues? }`.",
    version: "0.1.0",
    baseUrl: options.baseUrl,
    filter: ({ metadata }) => metadata.openapi.path.startsWith(INTERNAL_PREFIX) === internal,
  });
  if (!internal) Object.assign(document.paths ?? {}, EXPORT_PATHS);
  describeResponses(document, internal);
  return document;
}

/** A documented path: the methods it takes, and per method the query parameters that are numbers. */
export interface Route {
  methods: string[];
  numericQuery: Record<string, string[]>;
}

type ParameterObject = { name: string; in: string; schema?: { type?: string; anyOf?: { type?: string }[] } };

const isNumeric = (schema: ParameterObject["schema"]): boolean =>
  [schema?.type, ...(schema?.anyOf ?? []).map((option) => option.type)].some(
    (type) => type === "integer" || type === "number",
  );

/**
 * The documented paths, to answer what the OpenAPI layer would get wrong: a method a path does not
 * take (405 with `Allow`, not 404), and a number in the query that is not one (`?to=` would read as 0).
 */
export function routeTable(): (path: string) => Route | undefined {
  const routes = [false, true].flatMap((internal) =>
    Object.entries(buildOpenApiDocument({ baseUrl: "/", internal }).paths ?? {}).map(([template, item]) => {
      const operations = Object.entries(item as Record<string, { parameters?: ParameterObject[] }>);
      return {
        pattern: new RegExp(`^${template.replace(/\./g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`),
        route: {
          methods: operations.map(([method]) => method.toUpperCase()),
          numericQuery: Object.fromEntries(
            operations.map(([method, operation]) => [
              method.toUpperCase(),
              (operation.parameters ?? []).filter((p) => p.in === "query" && isNumeric(p.schema)).map((p) => p.name),
            ]),
          ),
        },
      };
    }),
  );
  return (path) => routes.find((route) => route.pattern.test(path))?.route;
}

/** The body of every error response, whichever layer answers (see restErrors.ts and docs/errors.md). */
const ERROR_SCHEMA = {
  type: "object",
  properties: {
    code: { type: "string", enum: Object.keys(ERROR_CODES), description: "stable; clients branch on it" },
    message: { type: "string" },
    field: { type: "string", description: "the input field at fault, dotted (`thresholds.0`)" },
    issues: {
      type: "array",
      description: "every input problem found, first one first",
      items: {
        type: "object",
        properties: {
          path: { type: "string" },
          message: { type: "string" },
          code: { type: "string", enum: Object.keys(ERROR_CODES) },
        },
        required: ["path", "message"],
        additionalProperties: false,
      },
    },
  },
  required: ["code", "message"],
  additionalProperties: false,
};

const STATUS_TEXT: Record<number, string> = {
  400: "Invalid input (`field` names it)",
  401: "No token, or one this server does not know",
  403: "The token may not do this (read-only, or out of its scope)",
  404: "No such load test, revision or run (in the token's scope)",
  409: "Not possible in the current state (a run already ended, a test with active runs)",
  413: "The request body is over `server.maxBodyBytes`",
  415: "The request body is not JSON",
  429: "Too many heavy queries under way for this token",
  500: "Internal error",
  503: "The store cannot be reached right now (STORE_UNAVAILABLE; retry shortly)",
};
/** What a 503 also means where runs start. */
const STARTS_RUNS_503 =
  "The store cannot be reached right now (STORE_UNAVAILABLE), or runs cannot start: the run sandbox is unavailable (SANDBOX_UNAVAILABLE)";

type Operation = {
  operationId?: string;
  parameters?: unknown[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { required?: string[] } }> };
  responses?: Record<string, unknown>;
};

/** Which error statuses an operation can answer, from what it takes and does. */
function errorStatuses(method: string, path: string, operation: Operation, internal: boolean): number[] {
  const key = `${method} ${path}`;
  const statuses = [400, 401, 403];
  // A path id, or (ingest) the run a body names, may not exist.
  if (path.includes("{") || internal) statuses.push(404);
  if (method !== "get" && (path.includes("{") || internal)) statuses.push(409);
  if (operation.requestBody !== undefined) statuses.push(413, 415);
  if (HEAVY_READS.has(key)) statuses.push(429);
  statuses.push(500, 503);
  return statuses;
}

/**
 * Makes every response the document lists the one the server gives: one error schema (the API's
 * `{ code, message, field?, issues? }`, not the OpenAPI layer's own), every status an operation can
 * answer, 201 for creations, and a body that a bodiless POST may leave out when nothing in it is required.
 */
function describeResponses(document: OpenApiDocument, internal: boolean): void {
  const components = (document.components ??= {});
  const schemas = (components.schemas ??= {}) as Record<string, unknown>;
  for (const name of Object.keys(schemas)) if (name.startsWith("error.")) delete schemas[name];
  schemas.Error = ERROR_SCHEMA;
  const errorResponse = (status: number, key: string) => ({
    description: (status === 503 && STARTS_RUNS.has(key) ? STARTS_RUNS_503 : STATUS_TEXT[status]) ?? "Error",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  });
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, value] of Object.entries(item as Record<string, Operation>)) {
      const operation = value;
      const responses: Record<string, unknown> = {};
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (status.startsWith("2")) responses[status] = response;
      }
      const procedure = operation.operationId?.replaceAll("-", ".");
      if (procedure !== undefined && CREATES.has(procedure) && responses["200"] !== undefined) {
        responses["201"] = { ...(responses["200"] as object), description: "Created" };
        delete responses["200"];
      }
      for (const status of errorStatuses(method, path, operation, internal)) {
        responses[status] = errorResponse(status, `${method} ${path}`);
      }
      operation.responses = responses;
      const body = operation.requestBody;
      if (body !== undefined) {
        const required = body.content?.["application/json"]?.schema?.required ?? [];
        body.required = method !== "post" || required.length > 0;
      }
    }
  }
}

const runIdParameter = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9._-]+$" },
  description: "run id",
};
const windowParameters = ["from", "to"].map((name) => ({
  name,
  in: "query",
  required: false,
  schema: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
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
      },
    },
  };
}

/** Served beside the OpenAPI layer (its responses are JSON only), listed here so the document stays whole. */
const EXPORT_PATHS = {
  "/v1/runs/{id}/report.html": {
    get: {
      tags: ["runs"],
      summary:
        "The run's report: one self-contained HTML file (inline CSS, charts as inline SVG, no script) with what it ran, the cards, charts, endpoints, failures, verdict and baseline comparison",
      security: [{ Authorization: [] }],
      parameters: [runIdParameter],
      responses: { "200": { description: "HTML, self-contained", content: { "text/html": {} } } },
    },
  },
  "/v1/runs/{id}/files/{name}": {
    get: {
      tags: ["runs"],
      summary:
        "A file of the run's Locust as it wrote it, collected when its master ended (GET /v1/runs/{id}/files lists them)",
      security: [{ Authorization: [] }],
      parameters: [
        runIdParameter,
        { name: "name", in: "path", required: true, schema: { type: "string", enum: [...RUN_FILE_NAMES] } },
      ],
      responses: {
        "200": { description: "the file, as an attachment", content: { "text/csv": {}, "text/plain": {} } },
        "404": { description: "FILE_NOT_FOUND: not collected (yet), or not a run file's name" },
      },
    },
  },
  "/v1/runs/{id}/requests.csv": csvExport("The per-endpoint rows of /v1/runs/{id}/requests as CSV, total last", [
    runIdParameter,
  ]),
  "/v1/runs/{id}/metrics/timeseries.csv": csvExport("The points of /v1/runs/{id}/metrics/timeseries as CSV", [
    runIdParameter,
    ...windowParameters,
    {
      name: "name",
      in: "query",
      required: false,
      schema: { type: "string", minLength: 1, maxLength: 2000 },
      description: "only this endpoint name",
    },
  ]),
};

export function toYaml(document: OpenApiDocument): string {
  return stringify(document, { aliasDuplicateObjects: false });
}
