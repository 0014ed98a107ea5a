"""`loadmgr-locust`: run Locust with the plugin, supervise one run's processes, or serve as an agent."""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["locust"]:
        # Everything after `locust` is Locust's own command line; the plugin is registered first.
        secret = os.environ.get("LOADMGR_RUN_SECRET")
        if secret:
            # The run's secret host name, which Locust puts in its workers' ids, also outside a sandbox.
            import socket

            socket.gethostname = lambda: f"loadmgr-{secret}"  # type: ignore[assignment]
        from . import plugin  # noqa: F401  (registers the event listeners; imports Locust, which patches gevent)
        from . import sandbox_net
        from locust.main import main as locust_main

        sandbox_net.install()

        sys.argv = ["locust", *args[1:]]
        locust_main()
        return

    parser = argparse.ArgumentParser(prog="loadmgr-locust", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("locust", help="run Locust with the Load Manager plugin (the rest of the line is Locust's)")
    run_dir = sub.add_parser("run-dir", help="start and supervise the run described by DIR/spec.json")
    run_dir.add_argument("dir")
    launch = sub.add_parser("launch", help="(inside a run's sandbox) start the master and workers given as JSON")
    launch.add_argument("--as", dest="identity", help="UID:GID to become after dropping every capability (root), or - to check only")
    launch.add_argument("commands")
    agent = sub.add_parser("agent", help="join an agent pool: the agent dials out to the server and never listens")
    agent.add_argument("--server", required=True, help="the Load Manager server's URL")
    agent.add_argument("--token", default=os.environ.get("LOADMGR_AGENT_TOKEN"), help="the pool's enrollment token (or LOADMGR_AGENT_TOKEN)")
    agent.add_argument("--name", help="this agent's name in its pool (default: the host name)")
    agent.add_argument("--capacity", type=int, help="Locust processes it may run at once (default: its cores)")
    agent.add_argument("--labels", default="", help="k=v,... that runs may ask for")
    agent.add_argument("--address", help="where the pool's other agents reach this host (default: the address it reaches the server from)")
    agent.add_argument("--dir", default="loadmgr-agent-runs", help="where each run's files and logs go (one agent per directory)")
    agent.add_argument("--wait-sec", type=float, default=25.0, help="how long the server may hold its call, its heartbeat (1.5 to 25 s; below a proxy's idle timeout): what either side has to say goes at once; a host that stops answering is written off within this plus the server's silence window")
    agent.add_argument("--idle-exit", type=float, default=0, help="exit after this many seconds without the server while nothing runs (0: never)")
    agent.add_argument(
        "--no-inbound",
        action="store_true",
        help="this host takes no connection from other hosts (behind a NAT, or a firewall that refuses every connection in): the workers of a run whose master is here reach it through the server's relay",
    )
    agent.add_argument("--keep-runs-hours", type=float, default=0.0, help="how long a finished run's directory (script, log, Locust's CSVs) is kept once the server has collected its files (default 0: removed then); one whose files did not reach the server is kept 24 h at least")
    health = sub.add_parser("agent-health", help="exit 0 when the agent serving DIR is alive (with --ready: and connected): a probe")
    health.add_argument("--dir", default="loadmgr-agent-runs", help="the agent's --dir")
    health.add_argument("--ready", action="store_true", help="also require a call answered by the server lately")
    options = parser.parse_args(args)

    if options.command == "run-dir":
        from .supervisor import supervise

        sys.exit(supervise(options.dir))
    if options.command == "launch":
        import json

        from .launcher import launch as launch_run

        sys.exit(launch_run(json.loads(options.commands), options.identity))
    if options.command == "agent-health":
        from .dialout import health

        ok, why = health(options.dir, options.ready)
        print(why)
        sys.exit(0 if ok else 1)
    if options.command == "agent":
        if not options.token:
            parser.error("agent: --token (or LOADMGR_AGENT_TOKEN) is required")
        from .dialout import serve as dial_out

        dial_out(options.server, options.token, options.name, options.capacity, options.labels, options.dir, options.address, options.idle_exit, options.keep_runs_hours, inbound=not options.no_inbound, wait_ms=int(options.wait_sec * 1000))


if __name__ == "__main__":
    main()
