#!/bin/sh
# plan-shards.sh — the fan-out plan of a suite for Argo's withParam: one
# item per task and shard, as a JSON array on stdout:
#   [{"task":"mmlu","shard":"0/4"},{"task":"mmlu","shard":"1/4"},...]
#   plan-shards.sh SUITE N
set -u
prog=plan-shards.sh
# shellcheck source=pipelines/common.sh
. "$(dirname "$0")/common.sh"
[ $# -eq 2 ] || { echo "usage: $prog SUITE N" >&2; exit 64; }
case $2 in '' | *[!0-9]* | 0) echo "$prog: N must be a whole number from 1, got '$2'" >&2; exit 64 ;; esac
jq -ce --arg s "$1" --argjson n "$2" \
	'.suites[$s] // error("no suite \($s)") | [.[].task as $t | range($n) | {task: $t, shard: "\(.)/\($n)"}]' \
	"$VLLM_EVAL_SHARE/suites.json" 2>/dev/null || { echo "$prog: no suite '$1' in $VLLM_EVAL_SHARE/suites.json" >&2; exit 64; }
