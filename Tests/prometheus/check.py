#!/usr/bin/env python3
"""procstreamd's /metrics against promtool and a live Prometheus server (see run.sh).

Usage: check.py PROCSTREAMD CGROUP_FIXTURE_ROOT. Prints PASS/FAIL lines and a final
'N passed, M failed'; exit status 1 on any failure. Everything runs on 127.0.0.1 with
temporary files; the daemon and Prometheus are stopped by PID.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

binary, cgroup_root = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="procstream-prometheus.")
token = "prometheus-scrape-token-" + str(os.getpid())
passed = failed = 0
procs = []


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""), flush=True)
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(url, headers=None, timeout=5):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read().decode()


def wait_port(port, deadline):
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(p):
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


# node_exporter's own names that promlint's camelCase rule flags: deliberate, allowed.
ALLOWED_LINTS = {
    "node_memory_MemAvailable_bytes metric names should be written in 'snake_case' not 'camelCase'",
    "node_memory_MemTotal_bytes metric names should be written in 'snake_case' not 'camelCase'",
    "node_netstat_Tcp_CurrEstab metric names should be written in 'snake_case' not 'camelCase'",
}

try:
    with open(os.path.join(work, "token"), "w") as f:
        f.write(token + "\n")
    port = free_port()
    daemon = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", "--interval", "1",
                               "--cgroup-root", cgroup_root, "--token-file", os.path.join(work, "token")],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "daemon.log"), "w"))
    procs.append(daemon)
    if not check("daemon listens", wait_port(port, time.time() + 10)):
        raise SystemExit
    auth = {"Authorization": "Bearer " + token}
    base = f"http://127.0.0.1:{port}"

    # The first scrape asks for the per-unit view; the next tick's body has it.
    http(base + "/metrics", auth)
    time.sleep(1.5)
    openmetrics_accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    status, headers, body = http(base + "/metrics", dict(auth, Accept=openmetrics_accept))
    check("GET /metrics with Prometheus's Accept answers text 0.0.4",
          status == 200 and headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8", headers.get("Content-Type", ""))
    with open(os.path.join(work, "body.txt"), "w") as f:
        f.write(body)
    families = len([l for l in body.splitlines() if l.startswith("# TYPE ")])
    series = len([l for l in body.splitlines() if l and not l.startswith("#")])
    print(f"body: {len(body)} bytes, {families} families, {series} series")
    try:
        urllib.request.urlopen(base + "/metrics", timeout=5)
        check("/metrics without the token is refused", False, "answered 200")
    except urllib.error.HTTPError as e:
        check("/metrics without the token is refused", e.code == 401, str(e.code))

    lint = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
    lines = [l.strip() for l in (lint.stdout + lint.stderr).splitlines() if l.strip()]
    print("promtool check metrics:\n  " + "\n  ".join(lines or ["(no output)"]))
    others = [l for l in lines if l not in ALLOWED_LINTS]
    check("promtool check metrics: only node_exporter's own camelCase names", not others and lint.returncode in (0, 3),
          f"status {lint.returncode}; other findings: {others}")
    check("per-unit series in the body", 'procstream_unit_memory_bytes{unit="nginx.service",slice="system.slice"} ' in body)

    # A real Prometheus server, scraping every second with the token from a credentials file.
    pport = free_port()
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: procstream
    authorization:
      credentials_file: {work}/token
    static_configs:
      - targets: ['127.0.0.1:{port}']
""")
    prom = subprocess.Popen(["/usr/bin/prometheus", "--config.file", config, "--storage.tsdb.path", os.path.join(work, "data"),
                             "--web.listen-address", f"127.0.0.1:{pport}"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "prometheus.log"), "w"))
    procs.append(prom)
    papi = f"http://127.0.0.1:{pport}/api/v1/"

    def query(q, at=None):
        params = {"query": q}
        if at is not None:
            params["time"] = f"{at:.3f}"
        _, _, text = http(papi + "query?" + urllib.parse.urlencode(params))
        return json.loads(text)["data"]["result"]

    up = None
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            r = query('up{job="procstream"}')
            if r and r[0]["value"][1] == "1":
                up = time.time()
                break
        except Exception:
            pass
        time.sleep(0.25)
    if not check("Prometheus reports up == 1 (bounded 20 s)", up is not None,
                 "" if up else open(os.path.join(work, "prometheus.log")).read()[-800:]):
        raise SystemExit

    # The daemon's own cpu, per tick, from its event stream, while one core is kept busy.
    events = []
    stop_stream = threading.Event()

    def stream():
        s = socket.create_connection(("127.0.0.1", port), timeout=15)
        s.sendall(f"GET /events HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        buf = b""
        while not stop_stream.is_set():
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            for m in re.finditer(rb'"cpu":([0-9.]+)', chunk):
                events.append((time.time(), float(m.group(1))))
        s.close()

    reader = threading.Thread(target=stream, daemon=True)
    reader.start()
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    procs.append(busy)
    window = 8
    time.sleep(window + 2.5)
    at = time.time() - 1.5   # the scrape at `at` is surely stored
    stop(busy)
    stop_stream.set()
    promql = f'sum(rate(node_cpu_seconds_total{{mode!~"idle|iowait"}}[{window}s])) / count(count by (cpu) (node_cpu_seconds_total)) * 100'
    r = query(promql, at)
    prom_cpu = float(r[0]["value"][1]) if r else None
    # Each event's cpu covers the tick before it arrived: those inside (at - window, at].
    mine = [c for (t, c) in events if at - window + 1 <= t <= at]
    own = sum(mine) / len(mine) if mine else None
    detail = f"Prometheus {prom_cpu:.2f}%, daemon {own:.2f}% (mean of {len(mine)} ticks)" if prom_cpu is not None and own is not None else f"{r} {mine}"
    check("rate(node_cpu_seconds_total) busy share agrees with the daemon's cpu within 5 points",
          prom_cpu is not None and own is not None and abs(prom_cpu - own) <= 5 and own > 20, detail)

    r = query("node_memory_MemAvailable_bytes")
    meminfo = int(re.search(r"MemAvailable:\s+(\d+) kB", open("/proc/meminfo").read()).group(1)) * 1024
    got = float(r[0]["value"][1]) if r else -1
    check("node_memory_MemAvailable_bytes matches /proc/meminfo within 5% or 64 MiB",
          r and abs(got - meminfo) <= max(0.05 * meminfo, 64 << 20), f"Prometheus {got:.0f}, /proc/meminfo {meminfo}")

    r = query('procstream_unit_memory_bytes{unit="nginx.service"}')
    check("per-unit series scraped: procstream_unit_memory_bytes{unit=\"nginx.service\"}",
          len(r) == 1 and r[0]["value"][1] == "38158336", json.dumps(r))
    r = query('count(procstream_unit_cpu_seconds_total)')
    check("every fixture unit has a cpu series (16 units, init.scope twice: PID 1's and a user manager's)", r and r[0]["value"][1] == "16", json.dumps(r))
    r = query('scrape_samples_scraped{job="procstream"}')
    print("scrape_samples_scraped:", r[0]["value"][1] if r else "-")
finally:
    for p in reversed(procs):
        stop(p)
    shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
