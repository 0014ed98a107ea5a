import { z } from "zod";

/** The most hosts a test may name beside its target. */
export const MAX_ALLOWED_HOSTS = 50;

const PORT = /^\d{1,5}$/;
const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

function portOk(text: string): boolean {
  return PORT.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

function ipv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function ipv6(text: string): boolean {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(":")) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  const last = groups.at(-1);
  const v4tail = last !== undefined && last.includes(".");
  if (v4tail && !ipv4(last)) return false;
  const hex = v4tail ? groups.slice(0, -1) : groups;
  const count = hex.length + (v4tail ? 2 : 0);
  return hex.every((g) => /^[0-9a-f]{1,4}$/i.test(g)) && (halves.length === 2 ? count < 8 : count === 8);
}

/**
 * Why `entry` is not a host a run may be allowed to reach, or null when it is: `host`, `host:port`,
 * `[v6]`, `[v6]:port`, an IP literal, a CIDR block (`10.1.0.0/16`) or `*.example.com[:port]` (the
 * same grammar as the generator's locust/loadmgr_locust/netpolicy.py). A loopback address needs a port.
 */
export function allowedHostProblem(entry: string): string | null {
  if (entry.length === 0 || entry.length > 260 || /\s/.test(entry))
    return "is not a host, host:port, IP, CIDR or *.domain";
  let host = entry;
  let port: string | undefined;
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close < 0) return "an IPv6 address in brackets needs its ']'";
    host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return "only ':port' may follow ']'";
      port = rest.slice(1);
    }
    if (!ipv6(host)) return "is not an IPv6 address in brackets";
  } else if ((entry.match(/:/g) ?? []).length === 1) {
    [host = "", port] = entry.split(":");
  }
  if (port !== undefined && !portOk(port)) return "has a port that is not 1 to 65535";
  if (host.includes("/")) {
    const [address = "", bits = ""] = host.split("/");
    if (port !== undefined) return "a CIDR block takes no port (it allows every port)";
    const max = ipv4(address) ? 32 : ipv6(address) ? 128 : -1;
    if (max < 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max) return "is not a CIDR block";
    return null;
  }
  const loopback = /^127\./.test(host) || host === "::1" || host.toLowerCase() === "localhost";
  if (loopback && port === undefined) return "names a loopback address: give its port too (127.0.0.1:8089)";
  if (ipv4(host) || ipv6(host)) return null;
  const name = host.toLowerCase().replace(/\.$/, "");
  const labels = (name.startsWith("*.") ? name.slice(2) : name).split(".");
  if (name.length > 253 || !labels.every((l) => LABEL.test(l))) return "is not a valid host name";
  return null;
}

/** The host part of an allowed-hosts entry (for the project's target allow-list), lower-cased. */
export function allowedHostName(entry: string): string {
  if (entry.startsWith("[")) return entry.slice(1, entry.indexOf("]")).toLowerCase();
  const host = (entry.match(/:/g) ?? []).length === 1 ? (entry.split(":")[0] ?? "") : entry;
  return host.split("/")[0]?.toLowerCase().replace(/\.$/, "") ?? "";
}

export const allowedHostSchema = z
  .string()
  .max(260)
  .superRefine((entry, ctx) => {
    const problem = allowedHostProblem(entry);
    if (problem !== null) ctx.addIssue({ code: "custom", message: `${JSON.stringify(entry)} ${problem}` });
  });

export const allowedHostsSchema = z
  .array(allowedHostSchema)
  .max(MAX_ALLOWED_HOSTS)
  .describe(
    "hosts the test's scripts may reach beside its target URL's host and port: host, host:port, [v6]:port, an IP, a CIDR block or *.domain; a run's network reaches nothing else",
  );
