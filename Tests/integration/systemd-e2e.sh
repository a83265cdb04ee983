#!/bin/bash
# systemd-e2e.sh [PROCSTREAMD_BINARY]
#
# Proves systemd/procstreamd.service and systemd/procstreamd.socket with the release binary
# under a real systemd, through the shared ../shared/tools/systemd-e2e/e2e.sh (a throw-away
# systemd-nspawn container booted from the host's /usr; see its README). Run as root.
#
# e2e.sh checks: verify, security exposure (--max-exposure 2.0), Type=notify readiness,
# watchdog pings, watchdog kill + restart after SIGSTOP, socket activation.
# On top of that, while e2e.sh runs, this script looks into the same container:
#   - the running daemon really is sandboxed (dynamic uid, no capabilities, seccomp,
#     no_new_privs, hidepid=invisible /proc) and could raise RLIMIT_NOFILE;
#   - its stream on 127.0.0.1:9490 (nspawn shares the host's network) carries real values:
#     cpu (with a busy loop running), memory, threads, load, uptime and established TCP
#     connections (the script holds 8 loopback connections open) agree with what this host
#     shows; /snapshot and /healthz answer; no source fails;
#   - STATUS= updates reach `systemctl show -p StatusText` (it shows our subscriber);
#   - the per-unit view reads the container's cgroup tree through the sandbox: with
#     burn.service (a busy loop, systemd-run) and sleeper.service running in the container,
#     /units lists burn first with the cpu its cgroup really uses (cpu.stat usage_usec, or
#     cpuacct.usage on hybrid, read over the same ticks, percent of all CPUs: within 5 points),
#     sleeper < 2 %, both in system.slice; every field is null exactly where the unit's cgroup
#     lacks its file (this host's cgroup2 has no memory or pids controller: INFO line, and nulls
#     must be JSON null, not 0); tasks >= 1 and memory > 0 where those files exist;
#     /events?units=1 sends a units event with each tick's id; after `systemctl stop
#     burn.service` it is gone from /units within 2 s (delay printed); the journal holds
#     "per-unit view: <layout> under /sys/fs/cgroup" once and no cgroup source failure;
#   - started directly it binds 127.0.0.1:9490 itself; started by the socket it takes the
#     socket from systemd, with FD_CLOEXEC set, and serves on it;
#   - `systemctl stop` (e2e.sh stops the restarted service before its socket check) ends it
#     cleanly: STOPPING=1 reaches systemd, exit status 0, no SIGKILL, within 2 s;
#   - its log lines reach the journal with their priority prefixes parsed;
#   - procstreamd(8)'s token recipe works in this sandbox: the unit plus LoadCredential= of a
#     root-only file and --token-file /run/credentials/...: 401 without the token, 200 with it
#     (and the daemon refuses to start when pointed at the root-only file itself).
#   - systemd-analyze security exposure <= 1.2 (from e2e.sh's line; e2e.sh itself gates at 2.0).
# e2e.sh alone would pass a unit that breaks the metrics (ProcSubset=pid: exposure even lower);
# these checks fail it (8 FAILs: error events, null metrics, 503 /healthz).
# Prints PASS/FAIL lines, then "N passed, M failed". Exit status 0 only if nothing failed.
#
# Env: SHARED_DIR (default: <repo>/../shared); UNIT_DIR (default: <repo>/systemd; to try a unit
# variant); E2E_OBSERVE (e2e.sh's watchdog observation window, 24 s: the stream and then the
# per-unit checks run in it, and must end before e2e.sh SIGSTOPs the daemon); KEEP_LOGS=1 keeps the work directory (e2e output, the container's journal).
# Needs: root, systemd-container, python3, util-linux (nsenter), man-db (systemd-analyze verify
# checks Documentation=man:procstreamd(8); MANPATH points at debian/procstreamd.8).
# Port 9490 must be free on the host while it runs (the container shares its network).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) || ROOT=$(cd "$HERE/../.." && pwd)
SHARED_DIR=${SHARED_DIR:-$ROOT/../shared}
E2E=$SHARED_DIR/tools/systemd-e2e/e2e.sh
UNIT_DIR=${UNIT_DIR:-$ROOT/systemd}   # another directory only to try a unit variant
SVC_FILE=$UNIT_DIR/procstreamd.service
SOCK_FILE=$UNIT_DIR/procstreamd.socket
SVC=procstreamd.service SOCK=procstreamd.socket
PORT=9490
OBSERVE=${E2E_OBSERVE:-24}
T0=$(date +%s)

NPASS=0 NFAIL=0
pass() { NPASS=$((NPASS+1)); echo "PASS $*" >> "$T/mine.out"; }
fail() { NFAIL=$((NFAIL+1)); echo "FAIL $*" >> "$T/mine.out"; }
info() { echo "INFO $*" >> "$T/mine.out"; }
die() { echo "FAIL setup: $*"; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (e2e.sh boots a container)"
[ -x "$E2E" ] || die "no $E2E (set SHARED_DIR)"
for c in python3 nsenter ss; do command -v $c >/dev/null || die "$c not found"; done
command -v man >/dev/null || die "man not found: systemd-analyze verify needs it for Documentation=man:procstreamd(8) (apt-get install man-db)"
if ss -Htln "sport = :$PORT" | grep -q .; then
  die "port $PORT is in use on this host (the container shares the host network): $(ss -Htlnp "sport = :$PORT" | head -1)"
fi

T=$(mktemp -d /tmp/procstreamd-e2e.XXXXXX) || exit 1
: > "$T/mine.out"
BG=()
cleanup() {
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
  [ ${#BG[@]} -gt 0 ] && wait "${BG[@]}" 2>/dev/null
  if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "INFO logs kept in $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

BIN=${1:-}
if [ -z "$BIN" ]; then
  command -v swift >/dev/null || PATH=$PATH:/opt/swift/usr/bin
  echo "INFO building: swift build -c release --static-swift-stdlib --product procstreamd --scratch-path $ROOT/.build-deb"
  (cd "$ROOT" && swift build -c release --static-swift-stdlib --product procstreamd --scratch-path "$ROOT/.build-deb") > "$T/build.log" 2>&1 \
    || { tail -20 "$T/build.log"; die "release build failed"; }
  BIN=$ROOT/.build-deb/release/procstreamd
fi
[ -x "$BIN" ] || die "not executable: $BIN"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
echo "INFO binary $BIN ($("$BIN" --version))"

# systemd-analyze verify runs `man procstreamd(8)` for Documentation=: let it find ours.
mkdir -p "$T/man/man8" && cp "$ROOT/debian/procstreamd.8" "$T/man/man8/"
export MANPATH="$T/man:"

# ------------------------------------------------------------------ helpers (python)
# Holds N established loopback connections (2N sockets) until killed.
cat > "$T/hold.py" <<'EOF'
import socket, sys, time
n = int(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(n)
keep = []
for _ in range(n):
    c = socket.create_connection(srv.getsockname()); a, _ = srv.accept(); keep += [c, a]
print(srv.getsockname()[1], flush=True)
time.sleep(600)
EOF

# The stream checks. argv: port, status command (JSON list). Prints PASS/FAIL lines.
cat > "$T/stream.py" <<'EOF'
import json, os, socket, subprocess, sys, threading, time
port = int(sys.argv[1]); status_cmd = json.loads(sys.argv[2])
out = []
def res(ok, msg): out.append(("PASS " if ok else "FAIL ") + msg)

def host_tcp_established():
    n = 0
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                n += sum(1 for l in fh if l.split()[3] == "01")
        except FileNotFoundError:
            pass
    return n
def host_meminfo():
    m = {}
    for l in open("/proc/meminfo"):
        k, v = l.split(":", 1); m[k] = int(v.split()[0]) * 1024
    return m
def host_sample():
    la = open("/proc/loadavg").read().split()
    return dict(tcp=host_tcp_established(), mem=host_meminfo(), load=float(la[0]),
                threads=int(la[3].split("/")[1]), uptime=float(open("/proc/uptime").read().split()[0]))
ncores = sum(1 for l in open("/proc/stat") if l.startswith("cpu") and l[3].isdigit())

# The host's established count, sampled all along (other work on the host may open and close
# connections by the thousand): each event's count is compared with the host samples taken
# around its timestamp.
tcp_samples = []
sampling = [True]
def sample_tcp():
    while sampling[0]:
        a = time.time(); n = host_tcp_established(); tcp_samples.append((a, time.time(), n)); time.sleep(0.02)
sampler = threading.Thread(target=sample_tcp); sampler.start()
def host_tcp_around(ts, window=0.25):
    near = [n for a, b, n in tcp_samples if b >= ts - window and a <= ts + window]
    return (min(near), max(near)) if near else None
def event_time(m):
    import datetime
    return datetime.datetime.strptime(m["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()

def http_get(path):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body

# a busy loop on one core while events arrive: "cpu" must see it
spin_stop = time.time() + 3.5
spinner = subprocess.Popen([sys.executable, "-c", "import time\nt=time.time()+3.5\nwhile time.time()<t: pass"])

# StatusText must come to show our subscriber (STATUS= is sent at most every 5 s)
status_seen = []
def poll_status(deadline):
    while time.time() < deadline and not status_seen:
        try:
            st = subprocess.run(status_cmd, capture_output=True, text=True, timeout=3).stdout.strip()
        except Exception as e:
            st = "error %s" % e
        if st.startswith("1 subscriber"):
            status_seen.append(st); return
        last_status[0] = st
        time.sleep(0.4)
last_status = [""]

try:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
except OSError as e:
    print("FAIL stream: cannot connect to 127.0.0.1:%d from the host: %s" % (port, e)); sys.exit(0)
t_start = time.time()
poller = threading.Thread(target=poll_status, args=(t_start + 8.0,)); poller.start()
s.settimeout(5)
s.sendall(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")  # no Accept: just the latest event, no history
def dechunk(raw):
    """Complete HTTP/1.1 chunks at the start of raw: (their data, the rest)."""
    out = b""
    while True:
        i = raw.find(b"\r\n")
        if i < 0: return out, raw
        size = int(raw[:i], 16)
        if len(raw) < i + 2 + size + 2: return out, raw
        out += raw[i + 2:i + 2 + size]; raw = raw[i + 4 + size:]

raw = b""; buf = b""; events = []; samples = []; head = None
try:
    while len(events) < 5 and time.time() - t_start < 7:
        b = s.recv(65536)
        if not b: break
        raw += b
        if head is None and b"\r\n\r\n" in raw:
            head, _, raw = raw.partition(b"\r\n\r\n")
        if head is not None:
            data, raw = dechunk(raw) if b"transfer-encoding: chunked" in head.lower() else (raw, b"")
            buf += data
        while head is not None and b"\n\n" in buf:
            ev, _, buf = buf.partition(b"\n\n")
            before = host_sample()
            events.append(ev.decode()); samples.append(before)
except socket.timeout:
    pass
spinner.wait()
poller.join()
s.close()
time.sleep(0.3)
sampling[0] = False
sampler.join()

res(head is not None and head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head.lower(),
    "stream: GET /events -> %s" % (head.split(b"\r\n")[0].decode() if head else "no response head"))
if events and events[0].startswith("retry: 2000"):
    events[0] = events[0].split("\n", 1)[1] if "\n" in events[0] else ""
    if not events[0]: events.pop(0); samples.pop(0)
    res(True, "stream: starts with 'retry: 2000'")
else:
    res(False, "stream: does not start with 'retry: 2000': %r" % (events[:1],))
metrics = []; errors = []; ids = []
for ev, smp in zip(events, samples):
    fields = {}
    for line in ev.split("\n"):
        if line.startswith(":") or ":" not in line: continue
        k, _, v = line.partition(":"); fields.setdefault(k, []).append(v[1:] if v.startswith(" ") else v)
    kind = fields.get("event", ["message"])[0]
    if kind == "metrics":
        try:
            metrics.append((json.loads("\n".join(fields["data"])), smp)); ids.append(int(fields["id"][0]))
        except Exception as e:
            errors.append("unparsable metrics event %r: %s" % (ev[:120], e))
    elif kind == "error":
        errors.append("event: error " + " ".join(fields.get("data", [])))
res(len(metrics) >= 3 and ids == list(range(ids[0], ids[0] + len(ids))),
    "stream: %d metrics events in %.1fs, ids consecutive (%s)" % (len(metrics), time.time() - t_start, ids))
res(not errors, "stream: no error events under the hardened unit" + ("" if not errors else ": " + "; ".join(errors)[:300]))
if metrics:
    keys = ["cpu", "cpu_cores", "memory", "memory_total", "load", "threads", "threads_running",
            "connections", "tcp_states", "uptime", "network", "disk"]
    # PSI is absent (null, not an error) on kernels without it; the sandbox must not hide it.
    if os.path.exists("/proc/pressure/cpu"): keys.append("pressure")
    nulls = sorted({k for m, _ in metrics for k in keys if m.get(k) is None})
    res(not nulls, "stream: every metric present (no nulls)" + ("" if not nulls else ": null " + ", ".join(nulls)))
    m, h = metrics[-1]
    ok = all(m.get(k) is not None for k in keys)
    if ok:
        cpus = [x["cpu"] for x, _ in metrics]
        res(max(cpus) >= 30 and all(0 <= c <= 100 for c in cpus) and len(m["cpu_cores"]) == ncores,
            "values: cpu %s%% with a busy loop on 1 of %d cores; cpu_cores has %d entries (host has %d)"
            % (cpus, ncores, len(m["cpu_cores"]), ncores))
        total = h["mem"]["MemTotal"]; used = total - h["mem"]["MemAvailable"]
        res(m["memory_total"] == total and abs(m["memory"] - used) <= max(0.05 * used, 64 << 20) and m["memory"] > 0,
            "values: memory_total %d == host MemTotal %d; memory %d ~ host used %d (MemTotal-MemAvailable)"
            % (m["memory_total"], total, m["memory"], used))
        res(abs(m["threads"] - h["threads"]) <= max(20, 0.1 * h["threads"]) and m["threads"] > 20,
            "values: threads %d ~ host %d (/proc/loadavg), threads_running %d" % (m["threads"], h["threads"], m["threads_running"]))
        res(abs(m["load"][0] - h["load"]) <= 1.0, "values: load %s ~ host %.2f" % (m["load"], h["load"]))
        res(abs(m["uptime"] - h["uptime"]) <= 3, "values: uptime %.2f ~ host %.2f" % (m["uptime"], h["uptime"]))
        conn = [(x["connections"], host_tcp_around(event_time(x))) for x, _ in metrics]
        def near(a, r):
            slack = max(4, 0.02 * r[1])
            return r is not None and r[0] - slack <= a <= r[1] + slack
        covered = [(a, r) for a, r in conn if r is not None]  # the first event may predate the sampler
        good = len(covered) >= 2 and all(near(a, r) for a, r in covered) and min(a for a, _ in conn) >= 16
        res(good, "values: connections per event %s (daemon, host min..max within 0.25 s of its timestamp): "
            "equal within max(4, 2%%), and >= 16 (8 held loopback pairs)"
            % ", ".join("%d/%s" % (a, "%d..%d" % r if r else "?") for a, r in conn))
        res(m["tcp_states"].get("listen", 0) >= 2 and m["tcp_states"].get("established") == m["connections"],
            "values: tcp_states %s" % json.dumps(m["tcp_states"], separators=(",", ":")))
        # AF_NETLINK is allowed for NETLINK_SOCK_DIAG: the sandbox must not push it back to /proc/net/tcp
        res(m.get("tcp_source") == "netlink", "values: tcp_source %r (netlink sock_diag works in the sandbox)" % m.get("tcp_source"))
res(bool(status_seen), "status: StatusText shows our subscriber: %r" % (status_seen[0] if status_seen else last_status[0]))
try:
    code, body = http_get("/snapshot"); snap = json.loads(body)
    res(code == 200 and snap.get("memory_total") == host_meminfo()["MemTotal"], "snapshot: GET /snapshot -> %d, JSON with %d fields" % (code, len(snap)))
    code, body = http_get("/healthz")
    res(code == 200 and json.loads(body).get("status") == "ok", "healthz: GET /healthz -> %d %s" % (code, body.decode().strip()))
except Exception as e:
    res(False, "snapshot/healthz: %s" % e)
print("\n".join(out))
EOF

# The per-unit view, while the container runs burn.service (a busy loop on one core) and
# sleeper.service. argv: port, the container's cgroup root as the host reaches it
# (/proc/LEADER/root/sys/fs/cgroup), the CPU count the container sees, a deadline (epoch s: the
# end of the watchdog observation window), the stop command for burn.service (JSON list).
# Prints PASS/FAIL/INFO lines.
cat > "$T/units.py" <<'EOF'
import json, os, socket, statistics, subprocess, sys, threading, time
port, cg, ncpu, deadline = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
stop_cmd = json.loads(sys.argv[5])
out = []
def res(ok, msg): out.append(("PASS " if ok else "FAIL ") + msg); return ok
def info(msg): out.append("INFO " + msg)
def done():
    print("\n".join(out)); sys.exit(0)

def http_get(path):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body
def units_now():
    code, body = http_get("/units")
    if code != 200: raise RuntimeError("GET /units -> %d %s" % (code, body[:200].decode(errors="replace")))
    j = json.loads(body)
    return j, {u["unit"]: u for u in j["units"]}

# The reference: the kernel's own counter for the unit, read from the host through the
# container's mount namespace (no nsenter on the hot path: a read costs microseconds).
v2 = os.path.exists(cg + "/cgroup.controllers")
def unit_dir(unit, ctl=""):
    return "%s/%ssystem.slice/%s" % (cg, "" if v2 else ctl + "/", unit)
def usage_us(unit):
    if v2:
        for l in open(unit_dir(unit) + "/cpu.stat"):
            if l.startswith("usage_usec "): return int(l.split()[1])
        raise RuntimeError("no usage_usec in cpu.stat")
    return int(open(unit_dir(unit, "cpuacct") + "/cpuacct.usage").read()) // 1000   # ns
# field -> the files the daemon reads it from (null exactly when one is absent)
def sources(unit):
    if v2:
        d = unit_dir(unit)
        return {"memory": [d + "/memory.current"], "memory_anon": [d + "/memory.stat"], "tasks": [d + "/pids.current"],
                "io_read": [d + "/io.stat"], "pressure": [d + "/" + f for f in ("cpu.pressure", "memory.pressure", "io.pressure")]}
    return {"memory": [unit_dir(unit, "memory") + "/memory.usage_in_bytes"], "memory_anon": [unit_dir(unit, "memory") + "/memory.stat"],
            "tasks": [unit_dir(unit, "pids") + "/pids.current"], "io_read": [unit_dir(unit, "blkio") + "/blkio.throttle.io_service_bytes"],
            "pressure": ["%s/unified/system.slice/%s/%s" % (cg, unit, f) for f in ("cpu.pressure", "memory.pressure", "io.pressure")]}
controllers = open(cg + "/cgroup.controllers").read().split() if v2 else \
    sorted(e for e in os.listdir(cg) if os.path.isdir(cg + "/" + e) and e not in ("unified", "systemd"))
info("units: the container's /sys/fs/cgroup is %s; controllers: %s; it sees %d CPUs"
     % ("cgroup v2" if v2 else "hybrid v1", " ".join(controllers) or "none", ncpu))

def left(): return deadline - time.time()
def fresh_tick(ts, limit):
    """Polls /units until a tick newer than ts: (json, by name, usage of burn read right after,
    time read, seconds since the previous poll that still showed ts)."""
    last = time.time()
    while time.time() < limit:
        j, by = units_now(); t = time.time()
        if j["timestamp"] != ts:
            u = usage_us("burn.service") if "burn.service" in by else None
            return j, by, u, time.time(), t - last
        last = t; time.sleep(0.02)
    return None

# ---- 1. burn.service first, with a figure (the first collection has no rates: it shows within
# ---- two ticks)
t0 = time.time(); j = by = None
while time.time() < min(t0 + 8, deadline):
    j, by = units_now()
    if j["units"] and j["units"][0]["unit"] == "burn.service" and j["units"][0]["cpu"] is not None: break
    time.sleep(0.05)
top = ", ".join("%s %s" % (u["unit"], u["cpu"]) for u in (j["units"][:3] if j else []))
if not res(bool(j) and j["units"] and j["units"][0]["unit"] == "burn.service" and j["units"][0]["cpu"] is not None,
           "units: GET /units lists burn.service first with a cpu figure, %.1fs after the first request (<= 8 s); top: %s"
           % (time.time() - t0, top)):
    done()

# ---- 2. its cpu against the kernel's counter, over the same ticks. Tick A's collection is
# ---- seen (and the counter read) within one poll of it happening, and so is tick D's: the
# ---- daemon's mean over B, C, D and the counter's rate from A to D cover the same ~3 s to
# ---- within two poll lags.
events_out = {}
def watch_events(limit):
    """GET /events?units=1 for 3 ticks: each metrics event followed by a units event of the same id."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        s.sendall(b"GET /events?units=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        raw = b""; buf = b""; head = None; evs = []
        while time.time() < limit and sum(1 for e in evs if e.get("event") == "units") < 3:
            b = s.recv(65536)
            if not b: break
            raw += b
            if head is None and b"\r\n\r\n" in raw: head, _, raw = raw.partition(b"\r\n\r\n")
            if head is None: continue
            while True:   # chunked
                i = raw.find(b"\r\n")
                if i < 0: break
                n = int(raw[:i], 16)
                if len(raw) < i + 4 + n: break
                buf += raw[i + 2:i + 2 + n]; raw = raw[i + 4 + n:]
            while b"\n\n" in buf:
                ev, _, buf = buf.partition(b"\n\n")
                f = {}
                for line in ev.decode().split("\n"):
                    if line.startswith(":") or ":" not in line: continue
                    k, _, v = line.partition(":"); f[k] = v[1:] if v.startswith(" ") else v
                if "data" in f: evs.append(f)
        s.close()
        events_out["head"] = head; events_out["events"] = evs
    except Exception as e:
        events_out["error"] = str(e)
watcher = threading.Thread(target=watch_events, args=(min(time.time() + 4.5, deadline),)); watcher.start()

ticks = []   # (json, by, usage, time, lag)
t = fresh_tick(j["timestamp"], deadline)
while t and len(ticks) < 3:
    ticks.append(t)
    t = fresh_tick(t[0]["timestamp"], deadline)
if t: ticks.append(t)
watcher.join()
if len(ticks) < 4 or any(x[2] is None for x in ticks):
    res(False, "units: fewer than 4 ticks listing burn.service before the observation window ended (%d; raise E2E_OBSERVE?)" % len(ticks))
    done()
A, D = ticks[0], ticks[-1]
ref = (D[2] - A[2]) / ((D[3] - A[3]) * 1e6) / ncpu * 100
dae = [x[1]["burn.service"]["cpu"] for x in ticks[1:]]
per = ["%.2f/%.2f" % (x[1]["burn.service"]["cpu"], (x[2] - p[2]) / ((x[3] - p[3]) * 1e6) / ncpu * 100) for p, x in zip(ticks, ticks[1:])]
lag = max(x[4] for x in ticks)
if None in dae:
    res(False, "units: burn.service has a null cpu in a tick after its first figure: %s" % dae); done()
mean = statistics.mean(dae)
hint = ""
if abs(mean - ref * ncpu) < 5 and ncpu > 1: hint = " (that is percent of ONE CPU: not divided by the CPU count?)"
res(ref >= 20, "units: burn.service really burns: its cgroup counter says %.2f%% of %d CPUs over %.2fs" % (ref, ncpu, D[3] - A[3]))
# 5 points: both sides read the same counter over the same ticks; the windows differ only by
# the poll lag at each end (printed; ~0.03 s) out of ~3 s: under 2 points at 50 %, whatever else
# the shared host runs. A daemon off by the CPU count (100 vs 50 on 2 CPUs) is far outside.
res(abs(mean - ref) <= 5, "units: burn.service cpu (daemon/cgroup per tick: %s): daemon mean %.2f%% vs %.2f%% from cpu.stat usage_usec "
    "over the same ticks (percent of all %d CPUs), within 5 points; max poll lag %.3fs%s" % (", ".join(per), mean, ref, ncpu, lag, hint))
res(all(x[0]["units"][0]["unit"] == "burn.service" for x in ticks),
    "units: burn.service first in every tick (%s)" % ", ".join(x[0]["units"][0]["unit"] for x in ticks))
sl = [x[1].get("sleeper.service", {}).get("cpu") for x in ticks[1:]]
res(all(c is not None and 0 <= c < 2 for c in sl), "units: sleeper.service cpu %s%% (< 2)" % sl)
# What the per-unit view costs on this real systemd's tree: each payload says what reading it
# took (discovery included: at 1 Hz it runs every tick). Reported, not gated: a timing on a
# shared CI machine; the micro-benchmark carries the target.
costs = [x[0].get("collect_us") for x in ticks]
if all(isinstance(c, int) for c in costs) and len(D[0]["units"]) > 0:
    n = len(D[0]["units"])
    info("units: reading the view took %s us per tick for %d units on the container's live tree (median %.1f us per unit)"
         % ("/".join(str(c) for c in costs), n, statistics.median(costs) / n))
else:
    res(False, "units: the /units payload has no integer collect_us (%r)" % costs)
b, z = D[1]["burn.service"], D[1].get("sleeper.service", {})
res(b["slice"] == "system.slice" and z.get("slice") == "system.slice",
    "units: slice burn.service %r, sleeper.service %r (system.slice)" % (b["slice"], z.get("slice")))

# ---- memory and tasks: figures where the container's cgroup2 has the controller, nulls (not 0)
# ---- where it has not (a hybrid host keeps memory and pids on its v1 hierarchies)
for name, u in (("burn.service", b), ("sleeper.service", z)):
    src = sources(name); bad = []
    for field, files in src.items():
        have = all(os.path.exists(f) for f in files)
        fields = [field, "io_write"] if field == "io_read" else [field]
        for f in fields:
            if have and u.get(f) is None: bad.append("%s null though %s exists" % (f, files[0].rsplit("/", 1)[1]))
            if not have and u.get(f) is not None: bad.append("%s=%r though %s is absent" % (f, u.get(f), files[0].rsplit("/", 1)[1]))
    res(not bad, "units: %s: every field null exactly where the cgroup lacks its file%s"
        % (name, "" if not bad else ": " + "; ".join(bad)))
bsrc = sources("burn.service")
mem_file, pids_file = os.path.exists(bsrc["memory"][0]), os.path.exists(bsrc["tasks"][0])
missing = [c for c, h in (("memory", mem_file), ("pids", pids_file)) if not h]
if missing:
    info("units: the container's cgroup2 lacks the %s controller(s) (cgroup.controllers: %s): %s null for every unit, as they must be (not 0)"
         % (" and ".join(missing), " ".join(controllers) or "none",
            ", ".join(f for c, fs in (("memory", ["memory", "memory_anon"]), ("pids", ["tasks"])) if c in missing for f in fs)))
    allu = D[0]["units"]
    wrong = ["%s %s=%r" % (u["unit"], f, u[f]) for u in allu for c, fs in (("memory", ["memory", "memory_anon"]), ("pids", ["tasks"]))
             if c in missing for f in fs if u[f] is not None]
    res(not wrong, "units: all %d units have null %s (JSON null, not 0)%s"
        % (len(allu), "/".join(f for c, fs in (("memory", ["memory", "memory_anon"]), ("pids", ["tasks"])) if c in missing for f in fs),
           "" if not wrong else ": " + ", ".join(wrong[:5])))
if mem_file:
    res(b["memory"] is not None and b["memory"] > 0, "units: burn.service memory %r > 0" % b["memory"])
if pids_file:
    res(b["tasks"] is not None and b["tasks"] >= 1, "units: burn.service tasks %r >= 1" % b["tasks"])

# ---- the stream with units, watched during those ticks
evs = events_out.get("events", [])
pairs = []; errs = []; last_metrics = None
for e in evs:
    k = e.get("event", "message")
    if k == "metrics": last_metrics = e.get("id")
    elif k == "units":
        try: names = [u["unit"] for u in json.loads(e["data"])["units"]]
        except Exception as x: names = ["unparsable: %s" % x]
        pairs.append((last_metrics, e.get("id"), "burn.service" in names))
    elif k == "error": errs.append(e["data"][:120])
head = events_out.get("head") or b""
res(head.startswith(b"HTTP/1.1 200") and len(pairs) >= 3 and all(m == u and hb for m, u, hb in pairs) and not errs,
    "units: GET /events?units=1: %d units events, each after the metrics event of its id and listing burn.service (%s); error events: %s%s"
    % (len(pairs), ", ".join("%s=%s" % (m, u) for m, u, _ in pairs), errs or "none", " " + events_out["error"] if "error" in events_out else ""))

# ---- 3. systemctl stop: gone from /units within 2 s of the stop
burn_dir = unit_dir("burn.service", "" if v2 else "cpuacct")
t_stop = time.time()
r = subprocess.run(stop_cmd, capture_output=True, text=True, timeout=10)
t_ret = time.time(); t_cg = t_ret if not os.path.exists(burn_dir) else None
gone = None; ghost = 0; seen = set()
while time.time() < min(t_stop + 5, deadline):
    j, by = units_now(); now = time.time()
    if t_cg is None and not os.path.exists(burn_dir): t_cg = now
    if "burn.service" not in by: gone = now; break
    if by["burn.service"]["cpu"] is None and j["timestamp"] not in seen: ghost += 1; seen.add(j["timestamp"])
    time.sleep(0.02)
if ghost:
    info("units: after its cgroup went, burn.service was still listed for %d tick(s) with null figures (until the next discovery)" % ghost)
res(r.returncode == 0 and gone is not None and gone - t_stop <= 2.0,
    "units: systemctl stop burn.service (exit %d, returned after %.3fs; cgroup removed by %s): gone from /units %s after the stop (<= 2 s)"
    % (r.returncode, t_ret - t_stop, "%.3fs" % (t_cg - t_stop) if t_cg else "?", "%.3fs" % (gone - t_stop) if gone else "not within %.1fs" % (time.time() - t_stop)))
code, body = http_get("/healthz")
fs = json.loads(body).get("failing_sources")
res(code == 200 and not fs, "units: /healthz %d, failing_sources %s after all that" % (code, fs))
done()
EOF

# The socket-activated instance: a quick GET /snapshot and /healthz.
cat > "$T/get.py" <<'EOF'
import json, socket, sys
def get(path):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    d = b""
    while True:
        b = s.recv(65536)
        if not b: break
        d += b
    h, _, body = d.partition(b"\r\n\r\n")
    return int(h.split()[1]), body
c1, b1 = get("/snapshot"); c2, b2 = get("/healthz")
j = json.loads(b1)
print("%d %d %s %s" % (c1, c2, j.get("memory") is not None and j.get("connections") is not None, json.loads(b2).get("status")))
EOF

# The token recipe: argv port token -> "<no token> <Bearer token> <healthz without token>" codes.
cat > "$T/auth.py" <<'EOF'
import socket, sys
port, token = int(sys.argv[1]), sys.argv[2]
def code(path, extra=b""):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + b"\r\n")
    d = b""
    while True:
        b = s.recv(65536)
        if not b: break
        d += b
    return d.split(b" ", 2)[1].decode()
print(code(b"/snapshot"), code(b"/snapshot", b"Authorization: Bearer " + token.encode() + b"\r\n"), code(b"/healthz"))
EOF

# ------------------------------------------------------------------ run e2e.sh
python3 "$T/hold.py" 8 > "$T/hold.port" 2>&1 & BG+=($!)
for _ in $(seq 1 50); do [ -s "$T/hold.port" ] && break; sleep 0.1; done

echo "INFO running $E2E --max-exposure 2.0 --observe $OBSERVE (about 50 s)"
: > "$T/e2e.out"   # before tail -f looks for it
"$E2E" --max-exposure 2.0 --observe "$OBSERVE" "$SVC_FILE" "$SOCK_FILE" "$BIN" > "$T/e2e.out" 2>&1 &
E2E_PID=$!
tail -n +1 -f --pid=$E2E_PID "$T/e2e.out" & TAIL_PID=$!

# wait_line REGEX TIMEOUT: the first e2e.sh output line matching REGEX (empty on timeout/exit)
wait_line() {
  local end=$(( $(date +%s) + $2 )) l
  while :; do
    l=$(grep -E -m1 "$1" "$T/e2e.out" 2>/dev/null) && { echo "$l"; return 0; }
    kill -0 $E2E_PID 2>/dev/null || { grep -E -m1 "$1" "$T/e2e.out"; return 1; }
    [ "$(date +%s)" -ge $end ] && return 1
    sleep 0.1
  done
}

LEADER=$(wait_line 'container booted .*leader pid [0-9]+' 60 | sed -n 's/.*leader pid \([0-9]*\).*/\1/p')
if [ -z "$LEADER" ]; then
  fail "extra: no nspawn container to look into (e2e.sh mode is not nspawn, or it did not boot)"
else
  # Only short commands in the container, each under a host-side timeout: at poweroff the
  # container's PID 1 SIGSTOPs every process in it, and nsenter then stops itself too, which
  # would hold the container's shutdown up (no long-running journalctl -f in there).
  INNS=(timeout -s KILL 15 nsenter -t "$LEADER" -m -u -i -n -p -C -r -w)
  SC=("${INNS[@]}" systemctl)
  prop() { "${SC[@]}" show -p "$2" --value "$1" 2>/dev/null; }
  journal() { "${INNS[@]}" journalctl -o short-monotonic --no-pager > "$T/journal.txt" 2>&1; }

  # ---- the directly started, hardened service (e2e.sh's notify check), during the
  # ---- watchdog observation window that follows it
  if wait_line '^(PASS|FAIL) notify:' 60 | grep -q '^PASS'; then
    T_NOTIFY=$(date +%s.%N)   # e2e.sh's watchdog observation window starts now
    MP=$(prop $SVC MainPID)
    st=$("${INNS[@]}" cat /proc/$MP/status 2>/dev/null)
    uid=$(echo "$st" | awk '/^Uid:/{print $2}')
    nnp=$(echo "$st" | awk '/^NoNewPrivs:/{print $2}')
    sec=$(echo "$st" | awk '/^Seccomp:/{print $2}')
    capeff=$(echo "$st" | awk '/^CapEff:/{print $2}')
    capbnd=$(echo "$st" | awk '/^CapBnd:/{print $2}')
    if [ -n "$uid" ] && [ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] && [ "$nnp" = 1 ] && [ "$sec" = 2 ] \
       && [ "$capeff" = 0000000000000000 ] && [ "$capbnd" = 0000000000000000 ]; then
      pass "sandbox: main pid $MP runs as dynamic uid $uid, NoNewPrivs=1, Seccomp=2 (filter), CapEff=CapBnd=0"
    else fail "sandbox: main pid $MP: Uid=$uid NoNewPrivs=$nnp Seccomp=$sec CapEff=$capeff CapBnd=$capbnd"; fi
    if "${INNS[@]}" cat /proc/$MP/mountinfo 2>/dev/null | awk '$5 == "/proc" && /hidepid=invisible/ {f=1} END {exit !f}'; then
      pass "sandbox: its /proc is mounted hidepid=invisible (ProtectProc=invisible) and it still reads /proc/stat & co (below)"
    else fail "sandbox: no hidepid=invisible /proc in its mount namespace"; fi
    lim=$("${INNS[@]}" cat /proc/$MP/limits 2>/dev/null | awk '/^Max open files/{print $4, $5}')
    given=$(prop $SVC LimitNOFILESoft)
    if [ -n "$lim" ] && [ "${lim% *}" = "${lim#* }" ] && [ "$given" -lt "${lim% *}" ]; then
      pass "rlimit: the daemon raised RLIMIT_NOFILE from systemd's soft $given to the hard limit ${lim% *} under SystemCallFilter=~@resources"
    else fail "rlimit: RLIMIT_NOFILE soft/hard now '$lim', systemd gave soft $given: the daemon could not raise it"; fi
    statuscmd=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${SC[@]}" show -p StatusText --value $SVC)
    python3 "$T/stream.py" "$PORT" "$statuscmd" > "$T/stream.out" 2>&1
    while read -r w rest; do
      case $w in PASS) pass "$rest";; FAIL) fail "$rest";; *) fail "stream checker: $w $rest";; esac
    done < "$T/stream.out"

    # ---- the per-unit view of the same daemon, once stream.py's busy loop is over (it would
    # ---- otherwise be on the host's cpu figure): burn.service and sleeper.service run in the
    # ---- container; units.py finishes before the observation window does (then e2e.sh SIGSTOPs)
    DIRECT_MP=$MP
    CG=/proc/$LEADER/root/sys/fs/cgroup
    CG_FSTYPE=$(stat -fc %T "$CG" 2>/dev/null)
    NCPU=$("${INNS[@]}" getconf _NPROCESSORS_ONLN 2>/dev/null)
    if "${INNS[@]}" systemd-run --quiet --unit=burn.service sh -c 'while :; do :; done' 2> "$T/run.err" \
       && "${INNS[@]}" systemd-run --quiet --unit=sleeper.service sleep 300 2>> "$T/run.err"; then
      stopcmd=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "${SC[@]}" stop burn.service)
      python3 "$T/units.py" "$PORT" "$CG" "${NCPU:-0}" "$(awk -v a="$T_NOTIFY" -v o="$OBSERVE" 'BEGIN{printf "%.3f", a+o-1.5}')" \
        "$stopcmd" > "$T/units.out" 2>&1
      while read -r w rest; do
        case $w in PASS) pass "$rest";; FAIL) fail "$rest";; INFO) info "$rest";; *) fail "units checker: $w $rest";; esac
      done < "$T/units.out"
    else fail "units: systemd-run in the container failed: $(tr '\n' ' ' < "$T/run.err")"; fi
    "${SC[@]}" stop burn.service sleeper.service 2>/dev/null; "${SC[@]}" reset-failed burn.service sleeper.service 2>/dev/null
  else
    fail "extra: the service never became active (e2e.sh notify check failed): no stream checks"
  fi

  # ---- systemd's side of the coming `systemctl stop` (e2e.sh stops the restarted service
  # ---- before its socket check): debug logging shows the STOPPING=1 notification.
  if wait_line '^(PASS|FAIL) watchdog-kill:' 60 >/dev/null; then
    "${SC[@]}" log-level debug
  fi

  # ---- the socket-activated instance, while e2e.sh's probe keeps it busy
  if wait_line '^(PASS|FAIL|SKIP) watchdog-restart:' 60 >/dev/null; then
    ok=""
    for _ in $(seq 1 300); do
      kill -0 $E2E_PID 2>/dev/null || break
      if [ "$(prop $SOCK ActiveState)" = active ] && [ "$(prop $SVC ActiveState)" = active ]; then ok=1; break; fi
      sleep 0.1
    done
    if [ -n "$ok" ]; then
      MP=$(prop $SVC MainPID)
      # The journal so far, for the checks here and below: it holds the direct start, e2e.sh's
      # `systemctl stop` of the restarted service and this socket-activated start.
      for _ in $(seq 1 20); do journal; grep -q 'listening socket(s) from systemd' "$T/journal.txt" && break; sleep 0.2; done
      line=$(grep -m1 'listening socket(s) from systemd' "$T/journal.txt" | sed 's/^.*\]: //')
      flags=$("${INNS[@]}" cat /proc/$MP/fdinfo/3 2>/dev/null | awk '/^flags:/{print $2}')
      kind=$("${INNS[@]}" readlink /proc/$MP/fd/3 2>/dev/null)
      if [ -n "$line" ] && [ -n "$flags" ] && [ $(( 0$flags & 02000000 )) -ne 0 ] && [ "${kind#socket:}" != "$kind" ]; then
        pass "socket-activated: pid $MP logs '$line'; fd 3 is $kind with FD_CLOEXEC (flags $flags)"
      else fail "socket-activated: pid $MP log '${line:-none}', fd 3 '$kind' flags '${flags:-?}'"; fi
      r=$(python3 "$T/get.py" $PORT 2>&1 | tail -1)
      if [ "$r" = "200 200 True ok" ]; then pass "socket-activated: /snapshot and /healthz answer 200 with real values through systemd's socket"
      else fail "socket-activated: GET /snapshot, /healthz through systemd's socket: $r"; fi
    else
      fail "socket-activated: never saw $SOCK and $SVC both active"
    fi

    # ---- procstreamd(8)'s token recipe under the same sandbox: the project's service unit as
    # ---- procstreamd-token.service (own port, own environment file) plus the documented
    # ---- LoadCredential= drop-in. The token file is root-only, as documented.
    TU=procstreamd-token.service
    TOK=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    sed -e 's|^ExecStart=/usr/bin/procstreamd |ExecStart=/e2e/bin/procstreamd --listen 127.0.0.1:0 |' \
        -e 's|^EnvironmentFile=-/etc/default/procstreamd$|EnvironmentFile=-/etc/default/procstreamd-token|' \
        -e '/^\[Install\]/,$d' "$SVC_FILE" > "$T/$TU"
    "${INNS[@]}" sh -c "install -d -m 0700 /etc/procstreamd && (umask 077; echo '$TOK' > /etc/procstreamd/token) \
      && cat > /etc/systemd/system/$TU && mkdir -p /etc/systemd/system/$TU.d \
      && printf '[Service]\nLoadCredential=token:/etc/procstreamd/token\n' > /etc/systemd/system/$TU.d/token.conf \
      && mkdir -p /etc/default && echo 'PROCSTREAMD_ARGS=\"--token-file /run/credentials/$TU/token\"' > /etc/default/procstreamd-token \
      && systemctl daemon-reload" < "$T/$TU"
    if "${SC[@]}" start $TU 2> "$T/token.err"; then
      tport=$("${INNS[@]}" journalctl -u $TU -o cat --no-pager 2>/dev/null | sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' | tail -1)
      codes=$(python3 "$T/auth.py" "${tport:-0}" "$TOK" 2>&1 | tail -1)
      if [ "$codes" = "401 200 200" ]; then
        pass "token: LoadCredential=token:/etc/procstreamd/token (root-only) + --token-file /run/credentials/$TU/token: /snapshot 401 without, 200 with the Bearer token; /healthz 200"
      else fail "token: port '$tport': codes without/with token, healthz: $codes"; fi
    else fail "token: $TU did not start with the credential: $(tail -2 "$T/token.err" | tr '\n' ' ') $("${INNS[@]}" journalctl -u $TU -o cat --no-pager 2>/dev/null | tail -2 | tr '\n' ' ')"; fi
    "${SC[@]}" stop $TU 2>/dev/null
    # and why the credential is needed: the dynamic user cannot read the root-only file itself
    "${INNS[@]}" sh -c "echo 'PROCSTREAMD_ARGS=\"--token-file /etc/procstreamd/token\"' > /etc/default/procstreamd-token"
    "${SC[@]}" start $TU 2>/dev/null
    why=$("${INNS[@]}" journalctl -u $TU -o cat --no-pager 2>/dev/null | grep -m1 -- '--token-file /etc/procstreamd/token: ')
    if [ "$(prop $TU Result)" = exit-code ] && echo "$why" | grep -qi 'permission denied'; then
      pass "token: given the root-only file directly, it refuses to start (exit 1): '$why'"
    else fail "token: reading /etc/procstreamd/token directly: Result=$(prop $TU Result) log '$why'"; fi
    "${SC[@]}" stop $TU 2>/dev/null; "${SC[@]}" reset-failed $TU 2>/dev/null
  fi
fi

wait $E2E_PID; E2E_RC=$?
wait $TAIL_PID 2>/dev/null
sleep 0.2

# ------------------------------------------------------------------ after e2e.sh: the journal
J=$T/journal.txt
if [ -s "$J" ]; then
  d=$(grep -m1 -E "procstreamd\[[0-9]+\]: listening on 127\.0\.0\.1:$PORT" "$J" | sed 's/^.*\]: //')
  if [ -n "$d" ]; then pass "direct start: the daemon bound the address itself: '$d'"
  else fail "direct start: no 'listening on 127.0.0.1:$PORT' in the journal"; fi

  # the clean stop: Stopping -> STOPPING=1 -> exit 0 -> Deactivated successfully, no SIGKILL
  stop=$(awk '
    function t(l) { match(l, /^\[ *[0-9]+\.[0-9]+\]/); return substr(l, 2, RLENGTH-2) + 0 }
    index($0, "Stopping procstreamd.service") && !go { go=1; t0=t($0); next }
    !go || !index($0, "procstreamd.service: ") { next }
    /Got notification message from PID [0-9]+ \(.*STOPPING=1/ { stopping=1 }
    /Main process exited, code=exited, status=0\/SUCCESS/ { ok=1 }
    /Main process exited/ && !/status=0\/SUCCESS/ { bad=bad " " $0 }
    /SIGKILL|timed out/ { bad=bad " " $0 }
    /Deactivated successfully|Failed with result/ { res=$0; t1=t($0); exit }
    END { printf "%d %d %.3f|%s|%s", stopping, ok, t1-t0, bad, res }' "$J")
  IFS='|' read -r nums bad res <<<"$stop"; read -r stopping ok dur <<<"$nums"
  if [ "$stopping" = 1 ] && [ "$ok" = 1 ] && [ -z "$bad" ] && [ "${res#*Deactivated successfully}" != "$res" ] \
     && awk -v d="$dur" 'BEGIN{exit !(d < 2)}'; then
    pass "clean stop: systemctl stop -> STOPPING=1 received, exit status 0, 'Deactivated successfully' ${dur}s after 'Stopping', no SIGKILL"
  else fail "clean stop: STOPPING=1 seen=$stopping exit0=$ok took=${dur}s result='${res#*]: }' problems='$bad'"; fi

  raw=$(grep -E 'procstreamd\[[0-9]+\]: <[0-7]>' "$J" | head -2)
  n=$(grep -cE 'procstreamd\[[0-9]+\]: ' "$J")
  if [ -z "$raw" ] && [ "$n" -gt 0 ]; then pass "journal: $n daemon log lines, priority prefixes parsed (none shown raw)"
  else fail "journal: raw <N> prefixes in the journal (JOURNAL_STREAM detection?): $raw"; fi

  srcfail=$(grep -E 'procstreamd\[[0-9]+\]: .*(source .* failed|error)' "$J" | head -3 | sed 's/^.*\]: //' | tr '\n' ';')
  if [ -z "$srcfail" ]; then pass "journal: no source failures or errors logged by the daemon in any run"
  else fail "journal: daemon logged: $srcfail"; fi

  # the per-unit view's layout line: once, from the daemon that served /units, naming the layout
  # the container really has (its /sys/fs/cgroup is a cgroup2 mount on any host: e2e.sh mounts one)
  if [ -n "${DIRECT_MP:-}" ]; then
    want="cgroup v2 (unified)"; [ "${CG_FSTYPE:-}" = cgroup2fs ] || want="hybrid"
    n=$(grep -cE "procstreamd\[[0-9]+\]: per-unit view: " "$J")
    mine=$(grep -E "procstreamd\[$DIRECT_MP\]: per-unit view: " "$J" | sed 's/^.*\]: //')
    if [ "$n" = 1 ] && [ "${mine#per-unit view: $want}" != "$mine" ] && [ "${mine% under /sys/fs/cgroup}" != "$mine" ]; then
      pass "journal: pid $DIRECT_MP logged '$mine' once (container /sys/fs/cgroup: ${CG_FSTYPE:-?}), no other run logged one"
    else fail "journal: per-unit view lines: $n in all, pid $DIRECT_MP: '${mine:-none}' (want 'per-unit view: $want… under /sys/fs/cgroup', once)"; fi
    uf=$(grep -E 'procstreamd\[[0-9]+\]: .*source (cgroup|units) ' "$J" | head -2 | sed 's/^.*\]: //' | tr '\n' ';')
    if [ -z "$uf" ]; then pass "journal: no failure (or recovery) of the per-unit view's source logged"
    else fail "journal: per-unit view source: $uf"; fi
  fi

  bpf=$(grep -m1 -iE 'BPF firewalling not supported|IP firewall.*not supported' "$J" | sed 's/^.*\]: //')
  [ -n "$bpf" ] && info "the container's systemd cannot enforce IPAddressDeny= here: $bpf"
else
  fail "journal: nothing captured from the container"
fi

# ------------------------------------------------------------------ exposure, stricter than e2e.sh's gate
MAX_EXPOSURE=1.2   # 1.0 today; e2e.sh gates at 2.0 (its shared default)
score=$(sed -n 's/^[A-Z]* security: exposure \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$T/e2e.out" | head -1)
if [ -n "$score" ] && awk -v s="${score% *}" -v m=$MAX_EXPOSURE 'BEGIN{exit !(s<=m)}'; then
  pass "security: exposure $score <= $MAX_EXPOSURE (systemd-analyze security, from e2e.sh's line)"
else fail "security: exposure '${score:-none}' not <= $MAX_EXPOSURE"; fi

echo
echo "--- procstream checks on top of e2e.sh"
cat "$T/mine.out"
if [ "${KEEP_LOGS:-0}" = 1 ]; then cp "$T/e2e.out" "$T/e2e.log"; fi
e2e_sum=$(grep -m1 '^SUMMARY:' "$T/e2e.out")
ep=$(echo "$e2e_sum" | sed -n 's/^SUMMARY: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1/p')
ef=$(echo "$e2e_sum" | sed -n 's/^SUMMARY: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\2/p')
es=$(echo "$e2e_sum" | sed -n 's/^SUMMARY: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\3/p')
if [ -z "$ep" ]; then ep=0 ef=1 es=0; echo "FAIL e2e.sh printed no SUMMARY (exit $E2E_RC)"; fi
[ "$E2E_RC" != 0 ] && [ "$ef" = 0 ] && ef=1
TP=$((ep + NPASS)) TF=$((ef + NFAIL))
echo "e2e.sh: $ep passed, $ef failed, $es skipped; procstream checks: $NPASS passed, $NFAIL failed; $(( $(date +%s) - T0 ))s"
echo "$TP passed, $TF failed"
[ "$TF" = 0 ]
