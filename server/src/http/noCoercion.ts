import type { AnyRouter } from "@trpc/server";

interface Schema {
  _zod?: { def: Def };
}

interface Def {
  type?: string;
  shape?: Record<string, Schema>;
  innerType?: Schema;
  element?: Schema;
  options?: Schema[];
  valueType?: Schema;
  in?: Schema;
  out?: Schema;
  left?: Schema;
  right?: Schema;
  items?: Schema[];
  rest?: Schema | null;
  coerce?: boolean;
}

/** The schemas a def holds: object fields, array items, union options, record values, pipe ends… */
function children(def: Def): Schema[] {
  return [
    ...Object.values(def.shape ?? {}),
    ...(def.options ?? []),
    ...(def.items ?? []),
    ...[def.element, def.valueType, def.in, def.out, def.left, def.right, def.rest].filter(
      (child): child is Schema => child !== undefined && child !== null,
    ),
  ];
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
  for (const child of children(def)) if (child._zod !== undefined) pin(child._zod.def);
}

/**
 * trpc-to-openapi switches on coercion in the input schemas of every REST call (`"timestamp": true`
 * read as 1, `null` as 0), and since the schemas are the procedures' own, /trpc would coerce too
 * from then on. Pinning each coercible field's setting once at start keeps input exactly as typed:
 * only fields declared with z.coerce (query strings) convert, at any depth (array items, union options).
 */
export function pinInputCoercion(router: AnyRouter): void {
  for (const procedure of Object.values(router._def.procedures as Record<string, { _def: { inputs: unknown[] } }>)) {
    for (const input of procedure._def.inputs) {
      const def = (input as { _zod?: { def: Def } })._zod?.def;
      if (def !== undefined) pin(def);
    }
  }
}
