#!/usr/bin/env bash
# Runs the peer comparisons and writes RESULTS.md, the table README quotes.
#
#   bench/run.sh              # everything: callgrind, then ns with -count 6
#   COUNT=10 BENCHTIME=2s bench/run.sh
#   ROWS='README|Breaker' bench/run.sh   # only the compositions matching ROWS
#   bench/run.sh report       # rewrite RESULTS.md from the last run's data
#
# Two measures, side by side in one run:
#   - instructions per call, counted by callgrind (valgrind) on the serial
#     rows: load-independent, so the primary measure on a shared machine. Each
#     row runs N1 and N2 iterations; instr/op = (I(N2) - I(N1)) / (N2 - N1).
#   - ns/op, B/op and allocs/op of every row, serial and parallel, with
#     -count $COUNT, summarised by benchstat with the libraries as columns.
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
ROWS=${ROWS:-.}
N1=${N1:-2000}
N2=${N2:-12000}
OUT=${OUT:-RESULTS.md}
DATA=${DATA:-results} # the raw figures, kept so RESULTS.md can be rewritten
mkdir -p "$DATA"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "${1:-}" = report ]; then
  . "$DATA/params" # the settings the figures were taken with
else
printf 'COUNT=%s\nBENCHTIME=%s\n' "$COUNT" "$BENCHTIME" >"$DATA/params"
bin=$work/bench.test
go test -c -o "$bin" .

# The serial rows, by name (the outage rows measure behaviour, not cost).
rows=$("$bin" -test.run '^$' -test.bench "^Benchmark($ROWS)" -test.benchtime 1x |
  awk '/^Benchmark/ {sub(/-[0-9]+$/, "", $1); print $1}' | grep '/mode=serial/' | grep -v '^BenchmarkOutage' || true)

# anchored turns a row's name into a -test.bench pattern matching it alone:
# every level anchored, so BenchmarkHTTP does not also run BenchmarkHTTPTelemetry.
anchored() { echo "^${1//\//\$/^}\$"; }

instr() { # instr <row> <iterations>
  GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    "$bin" -test.run '^$' -test.bench "$(anchored "$1")" -test.benchtime "${2}x" 2>&1 >/dev/null |
    grep -oE 'Collected : [0-9]+' | awk '{print $3}'
}

: >"$DATA/cg.txt"
if command -v valgrind >/dev/null; then
  for row in $rows; do
    n1=$N1 n2=$N2
    case $row in BenchmarkHTTP*) n1=$((N1 / 10)) n2=$((N2 / 10)) ;; esac # loopback is slow under valgrind
    a=$(instr "$row" "$n1")
    b=$(instr "$row" "$n2")
    comp=${row#Benchmark}
    comp=${comp%/mode=*} # the composition, with any sub-benchmark level but mode= and lib=
    lib=${row##*lib=}
    echo "$comp $lib $(((b - a) / (n2 - n1)))" | tee -a "$DATA/cg.txt"
  done
else
  echo "valgrind not found: no instruction counts" >&2
fi

"$bin" -test.run '^$' -test.bench "^Benchmark($ROWS)" -test.benchmem -test.count "$COUNT" -test.benchtime "$BENCHTIME" |
  tee "$DATA/ns.txt" | grep -v '^BenchmarkOutage' | grep '^Benchmark' || true
fi
cp "$DATA/cg.txt" "$DATA/ns.txt" "$work/"

# median ns/op of one row of ns.txt
median() {
  awk -v row="$1" '$1 ~ "^"row"-[0-9]+$" { for (i = 3; i < NF; i++) if ($(i + 1) == "ns/op") v[++n] = $i }
    END { if (!n) exit; asort(v); print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }' "$work/ns.txt"
}

{
  echo "# paved beside its peers"
  echo
  echo "Written by \`bench/run.sh\` (COUNT=$COUNT BENCHTIME=$BENCHTIME) on $(date -u '+%Y-%m-%d %H:%M UTC'),"
  echo "$(go version | cut -d' ' -f3-), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores."
  echo "Versions: $(go list -m -f '{{.Path}} {{.Version}}' github.com/failsafe-go/failsafe-go github.com/sony/gobreaker/v2 golang.org/x/time | paste -sd, | sed 's/,/, /g')."
  echo
  echo "Every composition is the same in each column: \`floor\` is the underlying"
  echo "libraries called directly (context.WithTimeout, gobreaker, x/time/rate, a"
  echo "channel semaphore), \`paved\` and \`failsafe\` the libraries, each with its"
  echo "defaults except where the composition fixes a setting (the breakers all"
  echo "open at 50% failures over 20 calls in 10 s). The rows are in"
  echo "\`bench/*_test.go\`."
  echo
  echo "## Instructions per call (callgrind, serial rows)"
  echo
  echo "Load-independent: the primary measure. \`× floor\` and \`× paved\` divide the row by"
  echo "the floor's and paved's instructions for the same composition."
  echo
  echo "| composition | library | instructions/call | × floor | × paved |"
  echo "|---|---|--:|--:|--:|"
  awk '
    { comp[NR] = $1; lib[NR] = $2; n[NR] = $3
      if ($2 == "floor" || $2 == "bare" || $2 == "stub") floor[$1] = $3
      if ($2 == "paved" || $2 == "paved-off") paved[$1] = $3 }
    END { for (i = 1; i <= NR; i++) {
      f = (comp[i] in floor) ? sprintf("%.2f", n[i] / floor[comp[i]]) : ""
      p = (comp[i] in paved) ? sprintf("%.2f", n[i] / paved[comp[i]]) : ""
      printf "| %s | %s | %d | %s | %s |\n", comp[i], lib[i], n[i], f, p } }' "$work/cg.txt"
  cg() { awk -v c="$1" -v l="$2" '$1 == c && $2 == l { print $3 }' "$work/cg.txt"; }
  sdk=$(cg TelemetryOverhead paved-sdk) off=$(cg TelemetryOverhead paved-off)
  otel=$(cg TelemetryOverhead otelhttp) stub=$(cg TelemetryOverhead stub)
  if [ -n "$sdk" ] && [ -n "$off" ] && [ -n "$otel" ] && [ -n "$stub" ]; then
    row=BenchmarkTelemetryOverhead/mode=serial/lib
    ns=$(awk -v a="$(median $row=paved-sdk)" -v b="$(median $row=paved-off)" -v c="$(median $row=otelhttp)" \
      -v d="$(median $row=stub)" 'BEGIN { if (a != "") printf "%.0f", (a - b) - (c - d) }')
    echo
    echo "paved's own telemetry (its call span, events and metrics), over otelhttp's"
    echo "per-attempt instrumentation, with the SDK sampling everything:"
    echo "(paved-sdk - paved-off) - (otelhttp - stub) = $(((sdk - off) - (otel - stub))) instructions${ns:+, $ns ns (medians)} per call."
  fi
  echo
  echo "## Time and allocations (benchstat, -count $COUNT)"
  echo
  echo "Wall-clock figures from a shared machine: compare columns within one row,"
  echo "not runs with each other. One table per composition, the first column the base."
  for comp in $(awk '/^Benchmark/ && !/^BenchmarkOutage/ { c = $1; sub(/^Benchmark/, "", c); sub(/\/.*/, "", c); if (!(c in s)) { s[c] = 1; print c } }' "$work/ns.txt"); do
    echo
    echo "### $comp"
    echo
    echo '```'
    grep -E "^Benchmark${comp}/" "$work/ns.txt" >"$work/one.txt"
    go tool benchstat -col /lib "$work/one.txt" | grep -vE '^(goos|goarch|pkg|cpu):' | sed '/^$/N;/^\n$/D'
    echo '```'
  done
  if grep -q '^BenchmarkOutage' "$work/ns.txt"; then
    echo
    echo "## A full outage: attempts per call with each library's defaults"
    echo
    echo "1,000 calls in a row against a dependency that fails every attempt;"
    echo "\`loop\` is a hand-written loop of three attempts, \`*-pipeline\` README's"
    echo "pipeline (whose breaker opens after 20 failures). Attempts are those that"
    echo "reached the dependency: a call its breaker refused made none."
    echo
    echo "| library | attempts/call |"
    echo "|---|--:|"
    awk '/^BenchmarkOutage/ { lib = $1; sub(/.*lib=/, "", lib); sub(/-[0-9]+$/, "", lib)
        for (i = 3; i < NF; i++) if ($(i + 1) == "attempts/call") { sum[lib] += $i; n[lib]++ }
        if (!(lib in seen)) { seen[lib] = 1; order[++k] = lib } }
      END { for (i = 1; i <= k; i++) printf "| %s | %.3f |\n", order[i], sum[order[i]] / n[order[i]] }' "$work/ns.txt"
  fi
} >"$OUT"
echo "wrote $OUT"
