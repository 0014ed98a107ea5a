/**
 * Writes the committed OpenAPI documents from the code (`npm run openapi`): docs/openapi.yaml (what
 * /openapi.yaml serves) and docs/openapi-ingest.yaml (the plugin's ingest endpoints). A unit test
 * fails when they differ from what the code would write.
 */
import { writeFileSync } from "node:fs";
import { OPENAPI_FILES, buildOpenApiDocument, toYaml } from "../server/src/http/openapi.js";

for (const [file, internal] of Object.entries(OPENAPI_FILES)) {
  writeFileSync(file, toYaml(buildOpenApiDocument({ baseUrl: "/", internal })));
  process.stdout.write(`wrote ${file}\n`);
}
