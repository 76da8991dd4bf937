"""Debian's real nginx, run on the forward-auth block of docs/operations.md."""

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time

from devtools.processes import HOST, stop_process
from tests.helpers import ROOT

BLOCK = re.compile(
    r"<!-- nginx-forward-auth:start -->\s*```nginx\n(.*?)```\s*<!-- nginx-forward-auth:end -->",
    re.S,
)
# Debian's set-misc module (set_escape_uri) and the kit it needs, loaded in that order.
MODULES = (
    "/usr/lib/nginx/modules/ndk_http_module.so",
    "/usr/lib/nginx/modules/ngx_http_set_misc_module.so",
)
SELF_SIGNED = (
    *("openssl", "req", "-x509", "-nodes", "-days", "1"),
    *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
)
# The top-level nginx.conf around the documented server block: everything under the folder.
MAIN = """{user}daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
{modules}
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{block}
}}
"""


def documented_block(substitutions) -> str:
    """The server block of docs/operations.md, each example value replaced as given; every
    one must be there, so that the test follows the document rather than drifting from it."""
    found = BLOCK.search((ROOT / "docs" / "operations.md").read_text())
    assert found, "docs/operations.md has no ```nginx block between the forward-auth markers"
    block = found.group(1)
    for example, value in substitutions.items():
        assert example in block, f"the documented block no longer has {example!r}"
        block = block.replace(example, value)
    return block


def self_signed(folder):
    """A certificate for the loopback address and its key: ``(certificate, key)`` paths. The
    openssl command comes with ca-certificates, which scripts/test.sh installs."""
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    names = ("-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}")
    subprocess.run(
        [*SELF_SIGNED, *names, "-keyout", key, "-out", cert], check=True, capture_output=True
    )
    return cert, key


class Nginx:
    """nginx in the foreground on ``block``, wrapped in a top-level config under ``folder``."""

    def __init__(self, folder, block, port, certificate):
        self.folder, self.port = folder, port
        self.tls = ssl.create_default_context(cafile=certificate)
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        missing = [path for path in (self.binary, *MODULES) if not os.path.exists(path)]
        # Never a skip: a skipped test fails the suite, and this says what to install.
        assert not missing, f"missing {missing}: apt-get install nginx libnginx-mod-http-set-misc"
        # As root the workers would run as nobody, who may not enter the test's folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        modules = "\n".join(f"load_module {path};" for path in MODULES)
        self.conf = folder / "nginx.conf"
        self.conf.write_text(MAIN.format(user=user, folder=folder, modules=modules, block=block))

    def log(self) -> str:
        paths = [self.folder / "nginx.out", self.folder / "error.log"]
        return "\n".join(path.read_text(errors="replace") for path in paths if path.exists())

    def __enter__(self):
        folder = str(self.folder)
        with (self.folder / "nginx.out").open("ab") as out:
            self.process = subprocess.Popen(
                [self.binary, "-p", folder, "-e", f"{folder}/error.log", "-c", str(self.conf)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while not self._listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                stop_process(self.process)
                raise AssertionError(f"nginx did not start:\n{self.log()}")
            time.sleep(0.02)
        return self

    def _listening(self) -> bool:
        try:
            socket.create_connection((HOST, self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def __exit__(self, *exc):
        stop_process(self.process)

    def request(self, path, headers=None, method="GET", body=None, source=HOST):
        """``(status, headers, body)`` of a request to the protected app, over TLS with the
        certificate that ``tls`` trusts, from the loopback address ``source``."""
        connection = http.client.HTTPSConnection(
            HOST, self.port, context=self.tls, timeout=60, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return answer.status, answer.headers, answer.read()
        finally:
            connection.close()
