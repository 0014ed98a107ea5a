"""The load-generator agent: a small HTTP API through which a Load Manager server starts, watches
and stops runs on this host. Each run is started by the same supervisor the server's local runner
uses (`loadmgr-locust run-dir`), so it runs here exactly as it would on the server's host.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Tuple

from . import __version__
from .sandbox import kill_recorded_cgroup

logger = logging.getLogger("loadmgr.agent")

RUN_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
REQUIRED = ("runId", "scriptContent", "targetUrl", "users", "spawnRate", "durationSeconds", "ingestUrl", "ingestToken")
MAX_BODY = 4 * 1024 * 1024


def log_tail(path: str, max_bytes: int = 4000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Agent:
    def __init__(self, runs_dir: str) -> None:
        self.runs_dir = os.path.abspath(runs_dir)
        self.processes: Dict[str, subprocess.Popen] = {}
        self.stopping: set = set()
        self.lock = threading.Lock()
        os.makedirs(self.runs_dir, exist_ok=True)

    def start(self, spec: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        run_id = spec["runId"]
        with self.lock:
            existing = self.processes.get(run_id)
            if existing is not None:
                return 200, self.describe(run_id)
            run_dir = os.path.join(self.runs_dir, run_id)
            os.makedirs(run_dir, exist_ok=True)
            token = spec.pop("ingestToken")
            # Secrets go to the supervisor's environment, never into a file that outlives the run.
            secret_env = json.dumps(spec.pop("secretEnv", None) or {})
            spec.setdefault("workers", os.cpu_count() or 1)
            with open(os.path.join(run_dir, "spec.json"), "w", encoding="utf-8") as handle:
                json.dump(spec, handle)
            log = open(os.path.join(run_dir, "locust.log"), "ab")
            self.processes[run_id] = subprocess.Popen(
                [sys.executable, "-m", "loadmgr_locust", "run-dir", run_dir],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, LOADMGR_INGEST_TOKEN=token, LOADMGR_SECRET_ENV=secret_env),
                start_new_session=True,
            )
            log.close()
            logger.info("run %s started (pid %d)", run_id, self.processes[run_id].pid)
            return 201, self.describe(run_id)

    def describe(self, run_id: str) -> Dict[str, Any]:
        process = self.processes[run_id]
        code = process.poll()
        state: Dict[str, Any] = {"runId": run_id, "state": "running" if code is None else "exited", "pid": process.pid}
        if code is not None:
            run_dir = os.path.join(self.runs_dir, run_id)
            try:
                with open(os.path.join(run_dir, "exit.json"), encoding="utf-8") as handle:
                    state.update(json.load(handle))
            except (OSError, ValueError):
                state.update({"exitCode": code if code >= 0 else None, "signal": signal.Signals(-code).name if code < 0 else None})
            state["logTail"] = log_tail(os.path.join(run_dir, "locust.log"))
        return state

    def stop(self, run_id: str) -> None:
        process = self.processes[run_id]
        with self.lock:
            if run_id in self.stopping or process.poll() is not None:
                return
            self.stopping.add(run_id)
        process.send_signal(signal.SIGTERM)

    def kill(self, run_id: str) -> None:
        process = self.processes[run_id]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        # A sandbox killed while it was being set up can leave a process outside the group: its cgroup has it.
        kill_recorded_cgroup(os.path.join(self.runs_dir, run_id))
        process.wait()

    def shutdown(self) -> None:
        for run_id, process in list(self.processes.items()):
            if process.poll() is None:
                self.kill(run_id)


def make_handler(agent: Agent, token: str) -> type:
    class Handler(BaseHTTPRequestHandler):
        server_version = f"loadmgr-agent/{__version__}"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            logger.debug(format, *args)

        def _reply(self, status: int, body: Dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, message: str, field: Optional[str] = None) -> None:
            self._reply(status, {"code": code, "message": message, "field": field})

        def _authorized(self) -> bool:
            given = self.headers.get("Authorization", "")
            if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return True
            self._error(401, "UNAUTHORIZED", "missing or wrong agent token")
            return False

        def _route(self) -> Tuple[Optional[str], Optional[str]]:
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if len(parts) >= 2 and parts[0] == "runs":
                if not RUN_ID.match(parts[1]):
                    return parts[1], "bad-id"
                return parts[1], parts[2] if len(parts) > 2 else ""
            return None, "/".join(parts)

        def do_GET(self) -> None:  # noqa: N802
            run_id, action = self._route()
            if run_id is None and action == "healthz":
                return self._reply(200, {"ok": True, "version": __version__})
            if not self._authorized():
                return
            if run_id is None or action != "":
                return self._error(404, "NOT_FOUND", "no such path")
            if run_id not in agent.processes:
                return self._error(404, "RUN_NOT_FOUND", f"run {run_id} is not known to this agent", "runId")
            self._reply(200, agent.describe(run_id))

        def do_POST(self) -> None:  # noqa: N802
            if not self._authorized():
                return
            run_id, action = self._route()
            if run_id is None and action == "runs":
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    return self._error(413, "PAYLOAD_TOO_LARGE", f"body over {MAX_BODY} bytes")
                try:
                    spec = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return self._error(400, "INVALID_JSON", "body is not JSON")
                missing = [key for key in REQUIRED if key not in spec]
                if missing:
                    return self._error(400, "VALIDATION_FAILED", f"{missing[0]} is required", missing[0])
                if not RUN_ID.match(str(spec["runId"])):
                    return self._error(400, "VALIDATION_FAILED", "runId has characters other than A-Z, a-z, 0-9, -", "runId")
                status, body = agent.start(spec)
                return self._reply(status, body)
            if run_id is None or action not in ("stop", "kill"):
                return self._error(404, "NOT_FOUND", "no such path")
            if run_id not in agent.processes:
                return self._error(404, "RUN_NOT_FOUND", f"run {run_id} is not known to this agent", "runId")
            if action == "stop":
                agent.stop(run_id)
            else:
                agent.kill(run_id)
            self._reply(202, agent.describe(run_id))

    return Handler


def serve(host: str, port: int, token: str, runs_dir: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.umask(0o077)  # run files are for this user alone
    if len(token) < 16:
        raise SystemExit("--token must be at least 16 characters")
    agent = Agent(runs_dir)
    server = ThreadingHTTPServer((host, port), make_handler(agent, token))

    def on_term(_signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    logger.info("loadmgr agent %s listening on http://%s:%d (runs in %s)", __version__, host, server.server_address[1], agent.runs_dir)
    print(f"listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        agent.shutdown()
        server.server_close()
