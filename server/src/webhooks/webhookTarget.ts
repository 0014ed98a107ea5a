import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where a webhook may not go unless the configuration allows it: loopback, "this host", link-local
 * (cloud metadata at 169.254.169.254), private, shared (CGNAT), multicast and reserved ranges, in
 * IPv4 and IPv6 (IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry).
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
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv6");
}

/** Whether an address is one a webhook may not reach without webhooks.allowPrivateTargets. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return PRIVATE.check(mapped, "ipv4");
  const family = isIP(address);
  if (family === 0) return true; // not an address: never trusted
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
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
