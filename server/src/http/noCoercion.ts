import type { AnyRouter } from "@trpc/server";

interface Def {
  type?: string;
  shape?: Record<string, { _zod?: { def: Def } }>;
  innerType?: { _zod?: { def: Def } };
  coerce?: boolean;
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "nonoptional", "catch"]);
const COERCIBLE = new Set(["number", "boolean", "bigint", "date"]);

/** Defs already pinned, by this or another server in the same process (schemas are module-wide). */
const pinned = new WeakSet<Def>();

function pin(def: Def): void {
  if (pinned.has(def)) return;
  pinned.add(def);
  if (def.innerType?._zod !== undefined && def.type !== undefined && WRAPPERS.has(def.type)) {
    pin(def.innerType._zod.def);
    return;
  }
  if (def.type !== undefined && COERCIBLE.has(def.type)) {
    // What the schema says (z.coerce.number() for query strings) holds; nothing may switch it on later.
    const coerce = def.coerce === true;
    Object.defineProperty(def, "coerce", { get: () => coerce, set: () => undefined, configurable: false });
    return;
  }
  if (def.type === "object" && def.shape !== undefined) {
    for (const field of Object.values(def.shape)) if (field._zod !== undefined) pin(field._zod.def);
  }
}

/**
 * trpc-to-openapi switches on coercion in the input schemas of every REST call (`"timestamp": true`
 * read as 1, `null` as 0), and since the schemas are the procedures' own, /trpc would coerce too
 * from then on. Pinning each coercible field's setting once at start keeps input exactly as typed:
 * only fields declared with z.coerce (query strings) convert.
 */
export function pinInputCoercion(router: AnyRouter): void {
  for (const procedure of Object.values(router._def.procedures as Record<string, { _def: { inputs: unknown[] } }>)) {
    for (const input of procedure._def.inputs) {
      const def = (input as { _zod?: { def: Def } })._zod?.def;
      if (def !== undefined) pin(def);
    }
  }
}
