"""The app that forward auth protects in the tests: it answers every request with what it got."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devtools.processes import HOST


class EchoUpstream(ThreadingHTTPServer):
    """The protected app: it answers each request with its method, path, headers (as pairs,
    so that a duplicate shows) and body, as JSON, and keeps each in ``seen``."""

    def __init__(self):
        super().__init__((HOST, 0), Echo)
        self.seen = []
        self.url = f"http://{HOST}:{self.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class Echo(BaseHTTPRequestHandler):
    def do_GET(self):
        length = int(self.headers.get("Content-Length") or 0)
        got = {
            "method": self.command,
            "path": self.path,
            "headers": list(self.headers.items()),
            "body": self.rfile.read(length).decode(),
        }
        self.server.seen.append(got)
        body = json.dumps(got).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        """Quiet: the test reads ``seen``."""
