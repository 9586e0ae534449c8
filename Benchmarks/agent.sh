#!/usr/bin/env bash
# The model-driven agent against the scripted server with a fixed latency per reply:
# model calls and tokens per task, and wall time with --jobs 1 against --jobs 4 for 8
# tasks (tasks wait on the model, so jobs overlap the waits).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

tasks=${REVIEW_BENCH_AGENT_TASKS:-8}
latency=${REVIEW_BENCH_LATENCY:-0.5}
runs=${REVIEW_BENCH_RUNS:-3}
if [ -n "${REVIEW_BENCH_SMALL:-}" ]; then tasks=4; latency=0.2; runs=1; fi
review=$(review_bin)
python=/usr/bin/python3

work=$(mktemp -d)
chmod 755 "$work"
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
repo="$work/project"
python3 "$here/generate_project.py" "$repo" --modules "$tasks" --tests-per-module 3 --changed "$tasks" --seed 2
chmod -R a+rX "$work"

block() { printf '<agent_response>\\n<node>%s</node>\\n<next_node>%s</next_node>\\n<content>%s</content>\\n</agent_response>' "$1" "$2" "$3"; }
execute='{\"tool_name\": \"python_sandbox\", \"arguments\": {\"code\": \"print(42)\"}}'
cat > "$work/scenario.json" <<SCENARIO
{"perConversation": true, "steps": [
  {"reply": "$(block Plan Execute 'run the changed function')", "delay": $latency},
  {"reply": "$(block Execute Execute "$execute")", "delay": $latency},
  {"reply": "$(block Finish Finish 'verified')", "delay": $latency}
]}
SCENARIO
python3 "$here/scripted_model_server.py" "$work/scenario.json" "$work/requests.jsonl" > "$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(head -1 "$work/port")/v1"

"$review" -C "$repo" --no-cache --impact-map off --python "$python" --model-url "$url" --format json main..feature > "$work/one.json" || true
python3 - "$work/one.json" "$tasks" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
tasks = max(1, summary["tasks"])
print(f"agent: {summary['tasks']} tasks, {summary['modelCalls'] / tasks:.1f} model calls and {summary['modelTokens'] / tasks:.0f} tokens per task")
PY
echo "agent: --jobs 4 against --jobs 1 ($tasks tasks, ${latency}s per reply), median of $runs alternating runs"
jobs1() { "$review" -C "$repo" --no-cache --impact-map off --python "$python" --model-url "$url" --jobs 1 main..feature; }
jobs4() { "$review" -C "$repo" --no-cache --impact-map off --python "$python" --model-url "$url" --jobs 4 main..feature; }
read -r mine theirs < <(compare_ms "$runs" jobs4 jobs1)
printf '%-58s %6s   (--jobs 4 %s ms, --jobs 1 %s ms; target: 1 / ratio >= 3)\n' \
    "review --jobs 4 / review --jobs 1, $tasks tasks on a model" "$(ratio "$mine" "$theirs")" "$mine" "$theirs"
