#!/usr/bin/env bash
# Runs the full `npm test` several times in a row while another process keeps every core busy, and
# checks that no process of the suite is left afterwards. This is how the suite is shown not to flake
# or leak on a loaded machine (README "Development").
#
#   scripts/test-under-load.sh [runs]          # default 3 runs
#   LOAD_WORKERS=4 scripts/test-under-load.sh  # busy loops to start (default: one per core)
#
# The load is `stress --cpu N` when stress is installed, else N `node -e` busy loops; it runs in its
# own process group and is stopped on exit, whatever happens. Per run it prints the duration, the
# exit status and the 1-minute load average (at the start, the end and the highest seen, sampled
# every 5 s); the log of each run goes to $LOG_DIR (default /tmp/mesh-test-under-load). Exit status
# is 0 only if every run passed and nothing of the suite was left running.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

RUNS=${1:-3}
WORKERS=${LOAD_WORKERS:-$(nproc)}
LOG_DIR=${LOG_DIR:-/tmp/mesh-test-under-load}
mkdir -p "$LOG_DIR"
# Inherited by npm, the test runner, every test file and everything they spawn: how leftovers of
# these runs are told apart from other processes on a shared machine.
export MESH_LOAD_TEST_ID="load-$$-$(date +%s)"

load1() { cut -d' ' -f1 /proc/loadavg; }

load_pid=''
test_pid=''
# An interrupted script stops the run in progress too: npm test runs in a process group of its own
# (setsid), and the whole group goes, test files and the daemons they started included.
stop_test() {
  if [ -n "$test_pid" ]; then
    kill -- "-$test_pid" 2>/dev/null
    test_pid=''
  fi
}
stop_load() {
  if [ -n "$load_pid" ]; then
    kill -- "-$load_pid" 2>/dev/null
    wait "$load_pid" 2>/dev/null
    load_pid=''
  fi
}
trap 'stop_test; stop_load' EXIT
trap 'exit 130' INT TERM

# The load: its own process group (setsid), so one kill stops every worker.
if command -v stress >/dev/null 2>&1; then
  setsid stress --cpu "$WORKERS" >/dev/null 2>&1 &
  load_desc="stress --cpu $WORKERS"
else
  setsid bash -c 'for _ in $(seq "$1"); do node -e "for (;;) {}" & done; wait' load "$WORKERS" >/dev/null 2>&1 &
  load_desc="$WORKERS node busy loops"
fi
load_pid=$!
echo "load: $load_desc (process group $load_pid); $(nproc) cores; load average now $(load1)"
sleep 20 # let the load average climb before the first run
echo "load average after warm-up: $(load1)"

failed=0
first_count=''
for run in $(seq "$RUNS"); do
  log="$LOG_DIR/run-$run.log"
  start_load=$(load1)
  max_load=$start_load
  started=$(date +%s)
  setsid npm test >"$log" 2>&1 &
  test_pid=$!
  while kill -0 "$test_pid" 2>/dev/null; do
    sleep 5
    now=$(load1)
    if awk -v a="$now" -v b="$max_load" 'BEGIN { exit !(a > b) }'; then max_load=$now; fi
  done
  wait "$test_pid"
  status=$?
  test_pid=''
  secs=$(( $(date +%s) - started ))
  summary=$(grep -E '^ℹ (tests|pass|fail|cancelled) ' "$log" | tr '\n' ' ')
  verdict=pass
  [ "$status" -eq 0 ] || { verdict=FAIL; failed=1; }
  printf 'run %s: %s, exit %s, %dm%02ds, load average %s at start, %s at end, %s highest; %s(log %s)\n' \
    "$run" "$verdict" "$status" $((secs / 60)) $((secs % 60)) "$start_load" "$(load1)" "$max_load" "$summary" "$log"
  # Every run of the same tree reports the same number of tests; fewer means results were lost.
  count=$(grep -E '^ℹ tests ' "$log" | tail -1 | awk '{print $3}')
  if [ -z "$first_count" ]; then first_count=$count
  elif [ "$count" != "$first_count" ]; then echo "  run $run reported $count tests, run 1 reported $first_count"; failed=1; fi
done

stop_load

# Anything of these runs still alive? The marker is in the environment of every process they started.
leftovers=''
for env in /proc/[0-9]*/environ; do
  pid=${env#/proc/}
  pid=${pid%/environ}
  [ "$pid" = "$$" ] && continue
  if tr "\0" "\n" 2>/dev/null <"$env" | grep -qx "MESH_LOAD_TEST_ID=$MESH_LOAD_TEST_ID"; then
    leftovers+="  pid $pid: $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"$'\n'
  fi
done
echo "this checkout's mesh CLI processes and daemons (pgrep):"
pgrep -af "$REPO/(src|dist)/cli/bin\.(ts|js)" || echo "  (none)"
if [ -n "$leftovers" ]; then
  echo "LEFT RUNNING by the test runs:"
  printf '%s' "$leftovers"
  failed=1
else
  echo "no process of the test runs is left"
fi
exit "$failed"
