// Writes the Kubernetes JSON schemas kubeconform validates against, from the API's own OpenAPI
// document (api/openapi-spec/swagger.json of the k8s.io/kubernetes Go module), as
// github.com/yannh/kubernetes-json-schema lays them out: one standalone, strict schema per kind, at
// <out>/v<version>-standalone-strict/<kind>-<group>-<version>.json. (This machine reaches only package
// registries, so the schemas are made here instead of fetched from GitHub.) Standalone: every $ref
// inlined (a type that contains itself, like a CRD's JSONSchemaProps, is left open where it recurs).
// Strict: an object with properties takes no others, as kubectl's validation has it.
//   node --import tsx scripts/k8s-schemas.ts <swagger.json> <out dir> <version, e.g. 1.34.2>
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

type Schema = Record<string, unknown>;

const [swaggerPath, outDir, version] = process.argv.slice(2);
if (swaggerPath === undefined || outDir === undefined || version === undefined) {
  throw new Error("usage: k8s-schemas.ts <swagger.json> <out dir> <version>");
}
const definitions = (JSON.parse(readFileSync(swaggerPath, "utf-8")) as { definitions: Record<string, Schema> })
  .definitions;

function resolve(node: unknown, trail: string[]): unknown {
  if (Array.isArray(node)) return node.map((item) => resolve(item, trail));
  if (typeof node !== "object" || node === null) return node;
  const schema = node as Schema;
  const ref = schema.$ref;
  if (typeof ref === "string") {
    const name = ref.replace("#/definitions/", "");
    if (trail.includes(name)) return {};
    return resolve(definitions[name] ?? {}, [...trail, name]);
  }
  if (schema.format === "int-or-string") return { oneOf: [{ type: "string" }, { type: "integer" }] };
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    // Property names are data, not schemas: a property called "$ref" or "format" stays as it is.
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, resolve(v, trail)]))
        : resolve(value, trail);
  }
  if (typeof out.properties === "object" && !("additionalProperties" in out)) out.additionalProperties = false;
  return out;
}

const dir = join(outDir, `v${version}-standalone-strict`);
mkdirSync(dir, { recursive: true });
let written = 0;
for (const [name, definition] of Object.entries(definitions)) {
  const kinds = definition["x-kubernetes-group-version-kind"] as
    { group: string; version: string; kind: string }[] | undefined;
  for (const gvk of kinds ?? []) {
    const group = gvk.group.split(".")[0] ?? "";
    const file = `${gvk.kind.toLowerCase()}${group !== "" ? `-${group.toLowerCase()}` : ""}-${gvk.version.toLowerCase()}.json`;
    writeFileSync(join(dir, file), JSON.stringify(resolve(definition, [name])));
    written++;
  }
}
console.log(`wrote ${written} schemas to ${dir}`);
