import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where a webhook may not go unless the configuration allows it: loopback, "this host", link-local
 * (cloud metadata at 169.254.169.254), private, shared (CGNAT), multicast, reserved, documentation
 * and benchmarking ranges, in IPv4 and IPv6. An IPv6 address that carries an IPv4 one (IPv4-mapped
 * or -compatible, NAT64, 6to4, Teredo) is judged as that IPv4 address too.
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["100::", 64],
  ["2001:2::", 48],
  ["2001:10::", 28],
  ["2001:20::", 28],
  ["2001:db8::", 32],
  ["3fff::", 20],
  ["5f00::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv6");
}

/** The eight 16-bit groups of an IPv6 address (any spelling), or undefined. */
function groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4 !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
    text = `${text.slice(0, -v4.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(Math.max(fill, 0)).fill("0"), ...right].map((g) => parseInt(g, 16));
  return all.length === 8 && all.every((g) => g >= 0 && g <= 0xffff) ? all : undefined;
}

/** The IPv4 address an IPv6 address carries, where it carries one. */
function embeddedIpv4(address: string): string | undefined {
  const g = groups(address);
  if (g === undefined) return undefined;
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && (g[5] === 0xffff || g[5] === 0)) return v4(g[6] ?? 0, g[7] ?? 0); // mapped, compatible
  if (g[0] === 0x64 && g[1] === 0xff9b) return v4(g[6] ?? 0, g[7] ?? 0); // NAT64
  if (g[0] === 0x2002) return v4(g[1] ?? 0, g[2] ?? 0); // 6to4
  if (g[0] === 0x2001 && g[1] === 0) return v4((g[6] ?? 0) ^ 0xffff, (g[7] ?? 0) ^ 0xffff); // Teredo's client
  return undefined;
}

/** Whether an address is one a webhook may not reach without webhooks.allowPrivateTargets. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").split("%")[0] ?? "";
  const family = isIP(bare);
  if (family === 0) return true; // not an address: never trusted
  if (family === 4) return PRIVATE.check(bare, "ipv4");
  const carried = embeddedIpv4(bare);
  if (carried !== undefined && PRIVATE.check(carried, "ipv4")) return true;
  return PRIVATE.check(bare, "ipv6");
}

export class WebhookTargetError extends Error {}

/** A name that takes longer than this to resolve is not a target (a request must not wait on a slow resolver). */
const LOOKUP_MS = 3000;

/**
 * The address a delivery to `url` connects to: its host resolved once, every address it resolves to
 * checked (a name that also points inside is refused), and the first one used for the connection,
 * so a second lookup cannot answer differently (DNS rebinding).
 */
export async function resolveTarget(url: URL, allowPrivate: boolean): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: { address: string; family: number }[];
  try {
    addresses =
      isIP(host) !== 0
        ? [{ address: host, family: isIP(host) }]
        : await Promise.race([
            lookup(host, { all: true }),
            new Promise<never>((_, reject) => {
              const timer = setTimeout(
                () => reject(Object.assign(new Error("timeout"), { code: "ETIMEOUT" })),
                LOOKUP_MS,
              );
              timer.unref();
            }),
          ]);
  } catch (error) {
    throw new WebhookTargetError(`${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const first = addresses[0];
  if (first === undefined) throw new WebhookTargetError(`${host} does not resolve`);
  if (!allowPrivate) {
    const inside = addresses.find((a) => isPrivateAddress(a.address));
    if (inside !== undefined) {
      throw new WebhookTargetError(
        `${host} is ${inside.address}, a loopback, link-local or private address: refused (the operator may set webhooks.allowPrivateTargets)`,
      );
    }
  }
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
