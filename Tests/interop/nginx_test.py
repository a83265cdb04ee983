#!/usr/bin/env python3
"""nginx (nginx-light, /usr/sbin/nginx) in front of procstreamd, configured with the
`location / { ... }` block taken from README.md ("Expose it beyond localhost, safely"), so
this breaks when that snippet stops working. Checks /events through it with our raw socket
reader and with sseclient-py (requests), and /snapshot.

Usage: nginx_test.py PROCSTREAMD (also run as part of interop.py).
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request

from common import (HERE, WAIT, WANT, Client, Daemon, RawStream, check, check_stream, metrics,
                    python_cmd, results, started_at, stop)

NGINX = "/usr/sbin/nginx"
README = os.path.join(HERE, "..", "..", "README.md")
SECTION = "### Expose it beyond localhost, safely"


def readme_location_block():
    """The lines from `location / {` to its closing `}` in the README's section, dedented."""
    text = open(README, encoding="utf-8").read()
    if SECTION not in text:
        raise ValueError(f"README.md has no section {SECTION!r}")
    lines = text.split(SECTION, 1)[1].split("\n#", 1)[0].splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "location / {"), None)
    if start is None:
        raise ValueError(f"no `location / {{` line under {SECTION!r}")
    depth = 0
    for end in range(start, len(lines)):
        depth += lines[end].count("{") - lines[end].count("}")
        if depth == 0:
            return textwrap.dedent("\n".join(lines[start:end + 1]))
    raise ValueError("the location block does not close")


def free_port():
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


class Nginx:
    """nginx in the foreground, one process, everything it writes under a temporary prefix."""

    def __init__(self, location):
        self.dir = tempfile.mkdtemp(prefix="procstream-nginx-")
        self.port = free_port()
        d = self.dir
        conf = f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{self.port};
{textwrap.indent(location, " " * 8)}
    }}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = None
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        d = self.dir
        self.proc = subprocess.Popen([NGINX, "-p", d + "/", "-c", d + "/nginx.conf", "-e", d + "/error.log"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + WAIT
        while True:  # ready once it accepts; bounded, and stops early if nginx exited
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + self.log()[-600:])
                time.sleep(0.05)

    def log(self):
        try:
            return open(os.path.join(self.dir, "error.log")).read()
        except OSError:
            return ""

    def stop(self):
        stop(self.proc)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run(binary):
    location = readme_location_block()
    with Daemon(binary) as daemon:
        location, n = re.subn(r"(proxy_pass\s+http://127\.0\.0\.1:)\d+", rf"\g<1>{daemon.port}", location)
        check("nginx: README's location / block has one proxy_pass to 127.0.0.1:PORT", n == 1,
              location.replace("\n", " | "))
        nginx = Nginx(location)
        try:
            raw = RawStream(nginx.port)
            try:
                check("nginx + raw socket: /events answers 200 text/event-stream",
                      raw.status.split()[1:2] == ["200"] and raw.header("Content-Type").startswith("text/event-stream"),
                      f"{raw.status!r}, Content-Type {raw.header('Content-Type')!r}, "
                      f"Transfer-Encoding {raw.header('Transfer-Encoding')!r}")
                check_stream("nginx + raw socket", raw.start, raw.read_events())
            finally:
                raw.close()

            client = Client(python_cmd("sseclient-requests", f"http://127.0.0.1:{nginx.port}/events?history=1"))
            try:
                client.wait_for(lambda r: len(metrics(r)) >= WANT)
            finally:
                client.stop()
            check_stream("nginx + sseclient-py (requests)", started_at(client.records), metrics(client.records))

            with urllib.request.urlopen(f"http://127.0.0.1:{nginx.port}/snapshot", timeout=WAIT) as r:
                body, ctype, status = r.read(), r.headers.get("Content-Type", ""), r.status
            try:
                snap = json.loads(body)
            except ValueError:
                snap = {}
            check("nginx: /snapshot is 200 application/json with a numeric cpu",
                  status == 200 and ctype.startswith("application/json") and isinstance(snap.get("cpu"), (int, float)),
                  f"{status} {ctype} {body[:80]!r}")
        finally:
            nginx.stop()


if __name__ == "__main__":
    try:
        run(os.path.abspath(sys.argv[1]))
    except Exception as ex:
        check("nginx: suite ran", False, f"{type(ex).__name__}: {ex}")
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if results and passed == len(results) else 1)
