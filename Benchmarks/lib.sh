# Shared helpers for the benchmark scripts: timing in milliseconds and ratios.
# Each comparison alternates the two commands run by run, so both see the same machine
# load (these machines are shared and noisy), and reports the medians.

# now_ns: current time in nanoseconds.
now_ns() { date +%s%N; }

# time_ms COMMAND...: wall time of one run in ms; fails if the command fails.
time_ms() {
    local start end
    start=$(now_ns)
    "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; return 1; }
    end=$(now_ns)
    echo $(( (end - start) / 1000000 ))
}

# median: the median of the numbers on stdin.
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# compare_ms RUNS MINE THEIRS: runs the two commands (shell functions or programs)
# alternately RUNS times after one warm-up each; prints "MINE_MEDIAN THEIRS_MEDIAN".
compare_ms() {
    local runs=$1 mine=$2 theirs=$3 a=() b=()
    time_ms "$mine" >/dev/null
    time_ms "$theirs" >/dev/null
    for _ in $(seq "$runs"); do
        a+=("$(time_ms "$mine")")
        b+=("$(time_ms "$theirs")")
    done
    echo "$(printf '%s\n' "${a[@]}" | median) $(printf '%s\n' "${b[@]}" | median)"
}

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) b = 1; printf "%.2f", a / b }'; }

# report NAME MINE REFERENCE REFERENCE_NAME TARGET: one result line.
report() {
    printf '%-58s %6s   (review %s ms, %s %s ms; target <= %s)\n' "$1" "$(ratio "$2" "$3")" "$2" "$4" "$3" "$5"
}

# review_bin: the binary under test.
review_bin() {
    if [ -n "${REVIEW_BIN:-}" ]; then echo "$REVIEW_BIN"; return; fi
    local here; here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    echo "$here/.build/release/review"
}

# peak_rss_mb COMMAND...: the peak resident memory of the command (and its children) in MB.
peak_rss_mb() {
    python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("%.1f" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
' "$@"
}
