import { spawnSync } from "node:child_process";
import type { Config } from "../config.js";

/** Whether runs' Locust processes are sandboxed here, and if they cannot be, why. */
export type SandboxStatus =
  | { mode: "on"; available: true }
  | { mode: "on"; available: false; reason: string }
  | { mode: "off"; available: false };

/**
 * Tries, once at start, the namespaces the run sandbox needs (bubblewrap with new user, pid, ipc,
 * uts and network namespaces). Fails closed: where it cannot work, the server says so and only the admin
 * token may start runs, unless the configuration says `runner.sandbox: off`.
 */
export function probeSandbox(config: Config, bwrap = "bwrap"): SandboxStatus {
  if (config.runner.sandbox === "off") return { mode: "off", available: false };
  if (process.platform !== "linux")
    return { mode: "on", available: false, reason: `no sandbox on ${process.platform}` };
  const probe = spawnSync(
    bwrap,
    [
      ...["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--die-with-parent"],
      ...["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib"],
      ...["--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true"],
    ],
    { encoding: "utf-8", timeout: 10_000, env: { PATH: "/usr/bin:/bin" } },
  );
  if (probe.error !== undefined) {
    const missing = (probe.error as NodeJS.ErrnoException).code === "ENOENT";
    return {
      mode: "on",
      available: false,
      reason: missing
        ? "bubblewrap (bwrap) is not installed: run scripts/setup-python.sh, or apt-get install bubblewrap"
        : `bubblewrap could not run: ${probe.error.message}`,
    };
  }
  if (probe.status !== 0) {
    const said = probe.stderr.trim().split("\n").at(-1) ?? "";
    return { mode: "on", available: false, reason: `bubblewrap cannot make its namespaces here: ${said}` };
  }
  return { mode: "on", available: true };
}
