#!/usr/bin/env bash
# make bench-realsite: the real-site benchmark (docs/BENCHMARKS.md, "Real
# sites"). Installs what it needs when missing (Debian packages: nginx-light,
# wget, postgresql-doc-15; apt-get update first), then runs trawl, wget -r and
# the ceiling crawler against nginx on 127.0.0.1, which the driver starts and
# stops itself with its own configuration (no systemd).
#
#   REALSITE=pgdocs,bigpages  sites to run     REPEAT=3  rounds
#   extra arguments go to the driver (e.g. -json out.json -keep)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wget >/dev/null 2>&1 || need+=(wget)
[ -f /usr/share/doc/postgresql-doc-15/html/index.html ] || need+=(postgresql-doc-15)
if [ ${#need[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "bench-realsite: installing ${need[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
nginx_bin=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

exec "${GO:-go}" run ./internal/bench -realsite "${REALSITE:-pgdocs,bigpages}" -repeat "${REPEAT:-3}" -nginx "$nginx_bin" "$@"
