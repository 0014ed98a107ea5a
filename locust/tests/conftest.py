import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Recorder:
    def __init__(self):
        self.calls = []
        self.fail_next = 0
        self.status_for = {}
        self.lock = threading.Lock()

    def paths(self):
        """The plugin's calls, in order (not the files the supervisor sends once the run has ended)."""
        return [path for path, _, _ in self.calls if not path.endswith("/files")]

    def bodies(self, suffix):
        return [body for path, body, _ in self.calls if path.endswith(suffix)]


def _serve(handler_class):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def ingest():
    """A stand-in for the Load Manager server's ingest procedures that records every call."""
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with recorder.lock:
                if recorder.fail_next > 0:
                    recorder.fail_next -= 1
                    status = 503
                else:
                    status = recorder.status_for.get(self.path, 200)
                    if status < 300:
                        recorder.calls.append((self.path, body, self.headers.get("Authorization")))
            data = json.dumps({"ok": status < 300, "code": "RUN_FINISHED" if status == 409 else None}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = _serve(Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield recorder
    server.shutdown()


@pytest.fixture
def target():
    """A loopback HTTP target: 200 for every path except /fail (500)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            status = 500 if self.path.startswith("/fail") else 200
            data = b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = _serve(Handler)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
