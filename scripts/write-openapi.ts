/**
 * Writes the committed OpenAPI documents from the code (`npm run openapi`): docs/openapi.{json,yaml}
 * (the public API, as /openapi.json and /openapi.yaml serve it) and docs/openapi-ingest.{json,yaml}
 * (the plugin's ingest endpoints, served at /openapi-ingest.json and /openapi-ingest.yaml). A test
 * fails when they differ from what the server serves.
 */
import { writeFileSync } from "node:fs";
import { OPENAPI_DOCUMENTS, renderOpenApi } from "../server/src/http/openapi.js";

for (const name of OPENAPI_DOCUMENTS) {
  writeFileSync(`docs/${name}`, renderOpenApi(name));
  process.stdout.write(`wrote docs/${name}\n`);
}
