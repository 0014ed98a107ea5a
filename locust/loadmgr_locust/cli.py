"""`loadmgr-locust`: run Locust with the plugin, supervise one run's processes, or serve as an agent."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["locust"]:
        # Everything after `locust` is Locust's own command line; the plugin is registered first.
        from . import plugin  # noqa: F401  (registers the event listeners)
        from locust.main import main as locust_main

        sys.argv = ["locust", *args[1:]]
        locust_main()
        return

    parser = argparse.ArgumentParser(prog="loadmgr-locust", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("locust", help="run Locust with the Load Manager plugin (the rest of the line is Locust's)")
    run_dir = sub.add_parser("run-dir", help="start and supervise the run described by DIR/spec.json")
    run_dir.add_argument("dir")
    launch = sub.add_parser("launch", help="(inside a run's sandbox) start the master and workers given as JSON")
    launch.add_argument("commands")
    agent = sub.add_parser("agent", help="serve the agent API that lets a Load Manager server start runs here")
    agent.add_argument("--port", type=int, required=True)
    agent.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    agent.add_argument("--token", required=True, help="the token the server sends (the cluster's authToken)")
    agent.add_argument("--dir", default="loadmgr-agent-runs", help="where each run's files and logs go")
    options = parser.parse_args(args)

    if options.command == "run-dir":
        from .supervisor import supervise

        sys.exit(supervise(options.dir))
    if options.command == "launch":
        import json

        from .supervisor import launch as launch_run

        sys.exit(launch_run(json.loads(options.commands)))
    if options.command == "agent":
        from .agent import serve

        serve(options.host, options.port, options.token, options.dir)


if __name__ == "__main__":
    main()
