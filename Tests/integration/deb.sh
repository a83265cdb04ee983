#!/bin/bash
# deb.sh: build the Debian package, lint it, and install it into throw-away roots.
#
#   1. `dpkg-buildpackage -us -uc -b` at the repo root (debian/rules builds the release binary in
#      .build-deb); the results are moved from .. to $DEB_OUT (default: a new /tmp directory).
#   2. lintian on the .changes (both .debs): no errors and no warnings (--fail-on error,warning);
#      the info/pedantic tags and the overrides are printed.
#   3. dpkg-deb -x into $DEB_OUT/root and check: the exact file list and modes, the control
#      fields (Depends from shlibs: libsystemd0, no Swift runtime, no libstdc++6), the conffile, the binary
#      (stripped, still runs, full RELRO, no libswift*), the debug symbols in -dbgsym, the units
#      (identical to systemd/, exposure <= 2.0), the default file and the man page.
#   4. debian/rules clean: removes what the build left in debian/, and .build-deb.
#   5. dpkg --root into an empty dpkg database (maintainer scripts run with DPKG_ROOT): installs,
#      enables procstreamd.socket (through the service's Also=), registers the conffile; purge
#      removes all of it. Skipped when this host runs systemd (the postinst would start units).
# Prints PASS/FAIL lines, then "N passed, M failed"; exit status 0 only if nothing failed.
# The extracted binary, $DEB_OUT/root/usr/bin/procstreamd, can be handed to systemd-e2e.sh.
# Needs: dpkg-dev, debhelper, lintian, the Swift toolchain on PATH or in /opt/swift/usr/bin,
# libsystemd-dev, pkg-config, man-db. Run as root (dpkg --root), or the last step is skipped.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) || ROOT=$(cd "$HERE/../.." && pwd)
T0=$(date +%s)
NPASS=0 NFAIL=0
pass() { NPASS=$((NPASS+1)); echo "PASS $*"; }
fail() { NFAIL=$((NFAIL+1)); echo "FAIL $*"; }
info() { echo "INFO $*"; }
finish() { echo "$NPASS passed, $NFAIL failed ($(( $(date +%s) - T0 ))s; output in $OUT)"; [ "$NFAIL" = 0 ]; exit; }

for c in dpkg-buildpackage dpkg-parsechangelog lintian readelf man systemd-analyze; do
  command -v $c >/dev/null || { echo "FAIL setup: $c not found"; echo "0 passed, 1 failed"; exit 1; }
done
OUT=${DEB_OUT:-$(mktemp -d /tmp/procstreamd-deb.XXXXXX)}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
T=$(mktemp -d /tmp/procstreamd-debtest.XXXXXX)
trap 'rm -rf "$T"' EXIT

cd "$ROOT"
VERSION=$(dpkg-parsechangelog -S Version)
UPSTREAM=${VERSION%-*}
ARCH=$(dpkg --print-architecture)
DEB=procstreamd_${VERSION}_${ARCH}.deb
DBG=procstreamd-dbgsym_${VERSION}_${ARCH}.deb
ARTIFACTS=("$DEB" "$DBG" "procstreamd_${VERSION}_${ARCH}.buildinfo" "procstreamd_${VERSION}_${ARCH}.changes")

# ------------------------------------------------------------------ 1. build
for f in "${ARTIFACTS[@]}"; do rm -f "../$f" "$OUT/$f"; done
t=$(date +%s)
if dpkg-buildpackage -us -uc -b > "$OUT/build.log" 2>&1 && [ -f "../$DEB" ]; then
  for f in "${ARTIFACTS[@]}"; do [ -f "../$f" ] && mv "../$f" "$OUT/"; done
  pass "build: dpkg-buildpackage -us -uc -b -> $DEB ($(du -k "$OUT/$DEB" | cut -f1) KiB) in $(( $(date +%s) - t ))s"
else
  tail -25 "$OUT/build.log"
  fail "build: dpkg-buildpackage failed (log: $OUT/build.log)"
  finish
fi
grep -q 'swift build .*--static-swift-stdlib' "$OUT/build.log" && grep -q 'dh_strip' "$OUT/build.log" \
  && ! grep -q 'dh_dwz' "$OUT/build.log" \
  && pass "build: release build with --static-swift-stdlib; dh_strip ran, dh_dwz skipped (debian/rules)" \
  || fail "build: expected swift build --static-swift-stdlib, dh_strip and no dh_dwz in the log"

# ------------------------------------------------------------------ 2. lintian
lintian --fail-on error,warning --display-info --pedantic --show-overrides "$OUT/procstreamd_${VERSION}_${ARCH}.changes" \
  > "$OUT/lintian.txt" 2> >(grep -v 'running with root privileges' >&2)
rc=$?
grep -v '^N:' "$OUT/lintian.txt" | sed 's/^/  lintian: /'
nE=$(grep -c '^E: ' "$OUT/lintian.txt") nW=$(grep -c '^W: ' "$OUT/lintian.txt")
nI=$(grep -cE '^(I|P): ' "$OUT/lintian.txt") nO=$(grep -c '^O: ' "$OUT/lintian.txt")
if [ $rc = 0 ] && [ "$nE" = 0 ] && [ "$nW" = 0 ]; then
  pass "lintian: 0 errors, 0 warnings ($nI info/pedantic, $nO overridden with reasons in debian/procstreamd.lintian-overrides)"
else fail "lintian: exit $rc, $nE errors, $nW warnings"; fi

# ------------------------------------------------------------------ 3. contents
R=$OUT/root
rm -rf "$R" && mkdir -p "$R" && dpkg-deb -x "$OUT/$DEB" "$R"
dpkg-deb -e "$OUT/$DEB" "$T/DEBIAN"

expected='-rw-r--r-- /etc/default/procstreamd
-rw-r--r-- /lib/systemd/system/procstreamd.service
-rw-r--r-- /lib/systemd/system/procstreamd.socket
-rwxr-xr-x /usr/bin/procstreamd
-rw-r--r-- /usr/share/doc/procstreamd/changelog.gz
-rw-r--r-- /usr/share/doc/procstreamd/copyright
-rw-r--r-- /usr/share/lintian/overrides/procstreamd
-rw-r--r-- /usr/share/man/man8/procstreamd.8.gz'
actual=$(dpkg-deb -c "$OUT/$DEB" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $1, $6}' | LC_ALL=C sort -k2)
owners=$(dpkg-deb -c "$OUT/$DEB" | awk '{print $2}' | sort -u | tr '\n' ' ')
if [ "$actual" = "$expected" ] && [ "$owners" = "root/root " ]; then
  pass "files: exactly the 8 expected files, modes as expected, all root/root"
else fail "files: got
$actual
owners: $owners"; fi

ctl=$T/DEBIAN/control
dep=$(sed -n 's/^Depends: //p' "$ctl")
if grep -qx "Package: procstreamd" "$ctl" && grep -qx "Version: $VERSION" "$ctl" && grep -qx "Architecture: $ARCH" "$ctl" \
   && echo "$dep" | grep -q 'libsystemd0' && ! echo "$dep" | grep -qiE 'swift|libstdc'; then
  pass "control: procstreamd $VERSION $ARCH, Depends: $dep"
else fail "control: Depends '$dep' (want libsystemd0 from shlibs, no swift, no libstdc++: it is linked in)"; fi
[ "$(cat "$T/DEBIAN/conffiles" 2>/dev/null)" = /etc/default/procstreamd ] \
  && pass "conffiles: /etc/default/procstreamd" || fail "conffiles: $(cat "$T/DEBIAN/conffiles" 2>/dev/null)"
if grep -q "deb-systemd-helper enable 'procstreamd.service'" "$T/DEBIAN/postinst" \
   && grep -q "deb-systemd-helper enable 'procstreamd.socket'" "$T/DEBIAN/postinst" \
   && grep -q "deb-systemd-invoke \$_dh_action 'procstreamd.service' 'procstreamd.socket'" "$T/DEBIAN/postinst" \
   && grep -q "deb-systemd-invoke stop 'procstreamd.service' 'procstreamd.socket'" "$T/DEBIAN/prerm"; then
  pass "maintainer scripts: dh_installsystemd enables both units (the service through Also=), starts them on install, restarts on upgrade, stops them on remove"
else fail "maintainer scripts: dh_installsystemd snippets missing"; fi

B=$R/usr/bin/procstreamd
v=$("$B" --version 2>&1)
[ "$v" = "procstreamd $UPSTREAM" ] && pass "binary: '$v' matches debian/changelog $VERSION" \
  || fail "binary: --version says '$v', debian/changelog says $VERSION"
once=$("$B" --once 2>/dev/null)
mt=$(echo "$once" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("memory_total"))' 2>/dev/null)
host_mt=$(( $(awk '/^MemTotal:/{print $2}' /proc/meminfo) * 1024 ))
[ "$mt" = "$host_mt" ] && pass "binary: the stripped binary runs: --once gives memory_total $mt (host MemTotal)" \
  || fail "binary: --once: $(echo "$once" | head -c 200)"
sections=$(readelf -S -W "$B")
needed=$(readelf -d "$B" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
if ! echo "$sections" | grep -qE '\.symtab|\.debug_info' && echo "$sections" | grep -q swift5_typeref; then
  pass "binary: stripped (no .symtab/.debug_info), Swift metadata sections kept ($(du -k "$B" | cut -f1) KiB)"
else fail "binary: strip state unexpected"; fi
if ! echo "$needed" | grep -qi swift && echo "$needed" | grep -q 'libsystemd.so.0' && ! ldd "$B" | grep -q 'not found'; then
  pass "binary: NEEDED $needed(no Swift runtime: it is linked in)"
else fail "binary: NEEDED $needed"; fi
if readelf -d "$B" | grep -q 'BIND_NOW' && readelf -l -W "$B" | grep -q GNU_RELRO && readelf -d "$B" | grep -q 'PIE'; then
  pass "binary: PIE, full RELRO (GNU_RELRO + BIND_NOW)"
else fail "binary: hardening flags missing (PIE/RELRO/BIND_NOW)"; fi
bid=$(readelf -n "$B" | sed -n 's/.*Build ID: //p')
if [ -f "$OUT/$DBG" ] && dpkg-deb -c "$OUT/$DBG" 2>/dev/null | grep -q "usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug"; then
  pass "dbgsym: $DBG holds the debug file for build-id $bid"
else fail "dbgsym: no debug file for build-id $bid"; fi

for u in procstreamd.service procstreamd.socket; do
  if cmp -s "$R/lib/systemd/system/$u" "systemd/$u"; then pass "units: /lib/systemd/system/$u is systemd/$u"
  else fail "units: /lib/systemd/system/$u differs from systemd/$u"; fi
done
sec=$(systemd-analyze security --offline=true --root="$R" --no-pager procstreamd.service 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
if [ -n "$sec" ] && awk -v s="${sec% *}" 'BEGIN{exit !(s <= 2.0)}'; then
  pass "units: installed procstreamd.service exposure $sec <= 2.0 (systemd-analyze security --offline=true --root)"
else fail "units: exposure '$sec'"; fi
if grep -qx 'ExecStart=/usr/bin/procstreamd $PROCSTREAMD_ARGS' "$R/lib/systemd/system/procstreamd.service" \
   && grep -qx 'EnvironmentFile=-/etc/default/procstreamd' "$R/lib/systemd/system/procstreamd.service"; then
  pass "units: ExecStart=/usr/bin/procstreamd \$PROCSTREAMD_ARGS with EnvironmentFile=-/etc/default/procstreamd"
else fail "units: ExecStart/EnvironmentFile not as documented"; fi

args=$(env -i sh -c ". '$R/etc/default/procstreamd' && printf '%s' \"\$PROCSTREAMD_ARGS\"" 2>&1)
if [ $? = 0 ] && [ -z "$args" ] && [ "$(grep -vc '^#' "$R/etc/default/procstreamd")" = 1 ]; then
  pass "default: /etc/default/procstreamd sets PROCSTREAMD_ARGS=\"\" and nothing else (comments only)"
else fail "default: /etc/default/procstreamd: '$args'"; fi

page=$R/usr/share/man/man8/procstreamd.8.gz
warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
heads=$(zcat "$page" | sed -n 's/^\.SH "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' | tr '\n' ',')
missing=""
for s in NAME SYNOPSIS DESCRIPTION OPTIONS ENDPOINTS FILES SIGNALS "EXIT STATUS" "SEE ALSO"; do
  case ",$heads" in *",$s,"*) ;; *) missing="$missing $s";; esac
done
found=$(MANPATH=$R/usr/share/man man -w procstreamd 2>&1)
if [ -z "$warn" ] && [ -z "$missing" ] && [ "$found" = "$page" ]; then
  pass "man: procstreamd(8) renders without groff warnings, has ${heads%,}; man -w finds it under MANPATH"
else fail "man: warnings '$warn', missing sections '$missing', man -w '$found'"; fi
for o in $("$B" --help | grep -oE '^ +--[a-z-]+' | tr -d ' '); do
  zcat "$page" | grep -q -- "$(echo "$o" | sed 's/-/\\\\-/g')" || missing="$missing $o"
done
[ -z "$missing" ] && pass "man: documents every option of --help" || fail "man: options missing from procstreamd(8):$missing"

[ -f "$R/usr/share/doc/procstreamd/copyright" ] && grep -q '^License: Apache-2.0' "$R/usr/share/doc/procstreamd/copyright" \
  && zcat "$R/usr/share/doc/procstreamd/changelog.gz" | grep -q "^procstreamd ($VERSION)" \
  && pass "doc: copyright (Apache-2.0) and changelog.gz in /usr/share/doc/procstreamd" \
  || fail "doc: copyright/changelog missing or wrong"

# The source tree as it was: debian/rules clean removes debian/procstreamd, debian/.debhelper,
# debian/files, the substvars and .build-deb (the package build's SwiftPM scratch directory).
if debian/rules clean > "$OUT/clean.log" 2>&1 && [ ! -e debian/procstreamd ] && [ ! -e .build-deb ]; then
  pass "clean: debian/rules clean removed the package build's files and .build-deb (nothing else)"
else fail "clean: debian/rules clean: $(tail -3 "$OUT/clean.log" | tr '\n' ' ')"; fi

# ------------------------------------------------------------------ 4. dpkg --root lifecycle
if [ "$(id -u)" != 0 ]; then
  info "dpkg --root: skipped (not root)"
elif [ -d /run/systemd/system ]; then
  info "dpkg --root: skipped (this host runs systemd: the postinst would start the units here)"
else
  D=$T/dpkgroot
  mkdir -p "$D/var/lib/dpkg/info" "$D/var/lib/dpkg/updates" "$D/var/lib/dpkg/triggers"
  touch "$D/var/lib/dpkg/status" "$D/var/lib/dpkg/available"
  dpkgr=(dpkg --root="$D" --log="$T/dpkg.log" --force-script-chrootless)
  if "${dpkgr[@]}" --force-depends -i "$OUT/$DEB" > "$T/install.log" 2>&1; then
    st=$("${dpkgr[@]}" -s procstreamd 2>/dev/null | sed -n 's/^Status: //p')
    link=$(readlink "$D/etc/systemd/system/sockets.target.wants/procstreamd.socket")
    en=$(systemctl --root="$D" is-enabled procstreamd.socket procstreamd.service 2>&1 | tr '\n' ' ')
    cf=$("${dpkgr[@]}" -s procstreamd 2>/dev/null | awk '/^Conffiles:/{getline; print $1}')
    if [ "$st" = "install ok installed" ] && [ "$link" = /lib/systemd/system/procstreamd.socket ] \
       && [ "$en" = "enabled indirect " ] && [ "$cf" = /etc/default/procstreamd ] \
       && [ ! -e "$D/etc/systemd/system/multi-user.target.wants/procstreamd.service" ]; then
      pass "dpkg --root install: '$st'; postinst enabled the socket (sockets.target.wants -> $link; is-enabled socket/service: $en); conffile $cf"
    else fail "dpkg --root install: status '$st', link '$link', is-enabled '$en', conffile '$cf'"; fi
  else
    fail "dpkg --root install failed: $(tail -3 "$T/install.log" | tr '\n' ' ')"
  fi
  if "${dpkgr[@]}" --purge procstreamd > "$T/purge.log" 2>&1; then
    left=$(cd "$D" && find . -not -type d -not -path './var/lib/dpkg/*' | tr '\n' ' ')
    [ -z "$left" ] && pass "dpkg --root purge: binary, units, enablement symlink and conffile all gone" \
      || fail "dpkg --root purge left: $left"
  else fail "dpkg --root purge failed: $(tail -3 "$T/purge.log" | tr '\n' ' ')"; fi
fi
finish
