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
  return generateOpenApiDocument(appRouter as OpenApiRouter, {
    title: internal ? "Load Manager internal ingest API" : "Load Manager API",
    description: internal
      ? "Endpoints that the Locust plugin calls. Authenticated by a per-run ingest token."
      : "Define Locust load tests once, run them many times, keep every run's results. " +
        "Authenticate with `Authorization: Bearer <token>`. Errors are JSON: `{ code, message, field?, issues? }`.",
    version: "0.1.0",
    baseUrl: options.baseUrl,
    filter: ({ metadata }) => metadata.openapi.path.startsWith(INTERNAL_PREFIX) === internal,
  });
}

export function toYaml(document: OpenApiDocument): string {
  return stringify(document, { aliasDuplicateObjects: false });
}
