#!/usr/bin/env bash
# Alternating A/B workload runs: a baseline commit against the working tree, in the same hour on the same machine.
# This shared 2-core VM drifts by ±8% (sometimes bimodally) between runs, so a change is judged on alternating pairs,
# never on one run against a figure from earlier (docs/benchmarks.md).
#
# usage: scripts/ab-pairs.sh BASE PAIRS [workload options]      (default options: --name W1)
#   e.g. scripts/ab-pairs.sh HEAD 5
#        scripts/ab-pairs.sh origin/main 3 --name W2 --warmup 12
# Builds BASE (in a temporary git worktree) and the working tree in Release, then runs the workload PAIRS times each,
# base first in odd pairs and new first in even ones. One line per run: throughput, latency and CPU per message of
# client and broker. Runs take a lock on /tmp/orleansmq-bench.lock, so two benchmark scripts never overlap.
set -euo pipefail

if [ $# -lt 2 ]; then
  sed -n '6,11p' "$0" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
base=$1
pairs=$2
shift 2
options=("$@")
if [ ${#options[@]} -eq 0 ]; then
  options=(--name W1)
fi

tree=$(mktemp -d /tmp/orleansmq-ab.XXXXXX)
cleanup() { git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"; }
trap cleanup EXIT
if ! git -C "$root" worktree add --detach --force "$tree" "$base" >/tmp/orleansmq-ab-build.log 2>&1; then
  echo "ab-pairs: cannot check out '$base'; see /tmp/orleansmq-ab-build.log" >&2
  exit 1
fi

for dir in "$tree" "$root"; do
  for project in Silo Benchmarks; do
    if ! dotnet build -c Release "$dir/$project" -nologo -v quiet >/tmp/orleansmq-ab-build.log 2>&1; then
      echo "ab-pairs: the Release build of $project in $dir failed; see /tmp/orleansmq-ab-build.log" >&2
      exit 1
    fi
  done
done

run() { # label directory
  local output
  output=$(cd "$2" && flock /tmp/orleansmq-bench.lock \
    dotnet run -c Release --no-build --project Benchmarks -- workload "${options[@]}" 2>&1 | grep '^workload=' || true)
  if [ -z "$output" ]; then
    echo "ab-pairs: $1 printed no workload line (options: ${options[*]})" >&2
    return 1
  fi

  python3 - "$1" "$output" <<'PY'
import re, sys
label, output = sys.argv[1], sys.argv[2]
for line in output.splitlines():
    d = dict(re.findall(r'(\w+)=([^\s]+)', line))
    parts = [f"{label:5}", f"{d.get('workload', '?'):3}"]
    rate = float(d.get('msgs_per_s', 0) or 0)
    for key in ('msgs_per_s', 'pub_p50_ms', 'pub_p99_ms', 'e2e_p50_ms', 'e2e_p99_ms', 'disk_ratio'):
        if key in d:
            parts.append(f"{key}={d[key]}")
    for side in ('broker', 'client'):
        cores = d.get(f'cpu_{side}')
        if cores is not None:
            per = f" ({float(cores) * 1e6 / rate:.2f} us/msg)" if rate > 0 else ""
            parts.append(f"{side}={cores}{per}")
    print(" ".join(parts))
PY
}

# The first run of a pair has an edge (the second starts while the kernel still writes back the first one's
# gigabytes; docs/benchmarks.md, thirteenth session), so the order alternates: base first in odd pairs, new in even.
for pair in $(seq 1 "$pairs"); do
  if [ $((pair % 2)) = 1 ]; then
    run base "$tree"
    run new "$root"
  else
    run new "$root"
    run base "$tree"
  fi
done
