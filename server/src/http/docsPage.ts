import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { getAbsoluteFSPath } from "swagger-ui-dist";

const ASSETS = new Set([
  "swagger-ui.css",
  "swagger-ui-bundle.js",
  "swagger-ui-standalone-preset.js",
  "favicon-32x32.png",
]);

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Load Manager API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true });
  </script>
</body>
</html>
`;

/** A Swagger UI asset shipped in swagger-ui-dist, served locally (no CDN), or undefined. */
export async function docsAsset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  if (!ASSETS.has(name)) return undefined;
  const type = name.endsWith(".css") ? "text/css" : name.endsWith(".png") ? "image/png" : "text/javascript";
  return { body: await readFile(join(getAbsoluteFSPath(), name)), type };
}
