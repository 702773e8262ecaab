#!/usr/bin/env bash
# fuzz.sh FUZZTIME — run every Go fuzz target in the repository for FUZZTIME
# each (go test -fuzz accepts one target per run), stopping at the first
# failure. Targets are discovered, not listed: any `func FuzzX(f *testing.F)`
# in a *_test.go file under the repository is run in its own package.
#
# Usage: scripts/fuzz.sh 10s        (make fuzz FUZZTIME=10s)
#        GO=go1.26.8 scripts/fuzz.sh 1m
set -euo pipefail

fuzztime="${1:-10s}"
go="${GO:-go}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# pkg<TAB>target lines, sorted, one per fuzz function.
targets="$(
	grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . |
		grep -v -e '/vendor/' -e '/testdata/' |
		while read -r file; do
			pkg="./$(dirname "${file#./}")"
			grep -oE '^func Fuzz[A-Za-z0-9_]*\(' "$file" |
				sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(/\1/' |
				while read -r fn; do printf '%s\t%s\n' "$pkg" "$fn"; done
		done | sort -u
)"

if [ -z "$targets" ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

n=0
while IFS=$'\t' read -r pkg fn; do
	n=$((n + 1))
	echo "fuzz: $pkg $fn for $fuzztime"
	if ! "$go" test -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" "$pkg"; then
		echo "fuzz: FAIL $pkg $fn (the failing input is under $pkg/testdata/fuzz/$fn/)" >&2
		exit 1
	fi
done <<<"$targets"
echo "fuzz: $n targets passed, $fuzztime each"
