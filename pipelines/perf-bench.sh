#!/bin/sh
# perf-bench.sh — serving-performance scenarios against a vLLM endpoint.
#
#   perf-bench.sh [-e URL] [-m MODEL] [-o DIR] [-s FILE] [-n N] [-w N] SCENARIO...
#
# For each scenario of share/bench/scenarios.json (or "all"): synthetic
# prompts of the scenario's lengths (ds-synth), sent with its concurrency,
# rate and warm-up (llm-query --stream), the raw records kept, and the
# figures of vllm-eval(7) computed by lat-stats. While it runs, the server's
# /metrics is sampled every second (waiting and running requests, KV-cache
# use) and summarised. Per scenario, in DIR/SCENARIO/:
#   raw.jsonl      llm-query's records        metrics.jsonl  lat-stats rows
#   table.txt      vLLM's result table        server.jsonl   /metrics samples
# DIR/metrics.jsonl gathers the rows of every scenario; the tables go to
# stdout. Exit: 0 ok, 64 usage, 69 the endpoint never answered (or not
# within ENDPOINT_WAIT), else the first failing step's status.
#
# Environment: MODEL_ENDPOINT (the endpoint when -e is not given), RUN_ID,
# MODEL_TAG (stamped on the rows), VLLM_EVAL_SHARE (where scenarios.json lives),
# ENDPOINT_WAIT and AUDIT_LOG (common.sh).
set -u

prog=perf-bench.sh
here=$(cd "$(dirname "$0")" && pwd)
share=${VLLM_EVAL_SHARE:-$here/../share}
# common.sh for the audit log and the wait for the endpoint; the programs
# are PATH's as given (the tests put stand-ins first).
ve_path=$PATH
# shellcheck source=pipelines/common.sh
. "$here/common.sh"
PATH=$ve_path
ve_own_step "$@"
endpoint=${MODEL_ENDPOINT:-}
model=
outdir=
scenfile=
prompts=
warmup=

usage() {
	cat <<-EOF
	usage: $prog [-e URL] [-m MODEL] [-o DIR] [-s FILE] [-n N] [-w N] SCENARIO...

	Runs serving-performance scenarios (share/bench/scenarios.json; "all" for
	every one) against an OpenAI-compatible endpoint and writes, per scenario,
	raw records, lat-stats metric rows, vLLM's result table and /metrics samples.

	  -e URL    model endpoint (default \$MODEL_ENDPOINT)
	  -m MODEL  model name (default: the server's first model)
	  -o DIR    run directory (default runs/\$RUN_ID/perf)
	  -s FILE   scenarios file (default share/bench/scenarios.json)
	  -n N      prompts per scenario, overriding the file (quick runs)
	  -w N      warm-up requests, overriding the file
	  -h        this help

	ENDPOINT_WAIT (seconds, default 0) waits that long for the server's /health
	to answer before the first request: an Argo pod's vLLM sidecar starts with
	the step and loads the model for minutes. Exit 69 when it does not.
	EOF
}

die() {
	code=$1
	shift
	echo "$prog: $*" >&2
	exit "$code"
}

while getopts e:m:o:s:n:w:h opt; do
	case $opt in
	e) endpoint=$OPTARG ;;
	m) model=$OPTARG ;;
	o) outdir=$OPTARG ;;
	s) scenfile=$OPTARG ;;
	n) prompts=$OPTARG ;;
	w) warmup=$OPTARG ;;
	h) usage; exit 0 ;;
	*) echo "Try '$prog -h' for more information." >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || die 64 "name the scenarios to run (or all)"
[ -n "$endpoint" ] || die 64 "no endpoint: give -e URL or set MODEL_ENDPOINT"
for v in "$prompts" "$warmup"; do
	case $v in *[!0-9]*) die 64 "-n and -w take a whole number, got '$v'" ;; esac
done
scenfile=${scenfile:-$share/bench/scenarios.json}
[ -r "$scenfile" ] || die 66 "$scenfile: cannot read the scenarios file"
jq -e '.scenarios | type == "object"' "$scenfile" >/dev/null 2>&1 ||
	die 65 "$scenfile: expected {\"scenarios\": {NAME: {...}}}"
run_id=${RUN_ID:-$(date -u +%Y-%m-%dT%H-%M-%SZ)}
# The run id names a directory: the characters vllm-eval(7) allows only.
case $run_id in
'' | .* | -* | *[!A-Za-z0-9._-]*) die 64 "RUN_ID '$run_id' is not a valid name (letters, digits, '.', '_', '-'; not starting with '.' or '-')" ;;
esac
outdir=${outdir:-runs/$run_id/perf}
mkdir -p "$outdir" || die 73 "$outdir: cannot create the run directory"

# The server's base URL (for /metrics): the endpoint without /v1 and what follows.
base=$(printf '%s\n' "$endpoint" | sed -E 's#/+$##; s#/v1(/.*)?$##')
ve_wait_endpoint "$base"

# Expand the names: "all", and a rate sweep into one run per rate.
if [ "$*" = all ]; then
	# shellcheck disable=SC2046 # scenario names are single words
	set -- $(jq -r '.scenarios | keys_unsorted[]' "$scenfile")
fi
runs=
for name in "$@"; do
	jq -e --arg n "$name" '.scenarios | has($n)' "$scenfile" >/dev/null ||
		die 64 "unknown scenario '$name' (in $scenfile: $(jq -r '.scenarios | keys_unsorted | join(", ")' "$scenfile"))"
	rates=$(jq -r --arg n "$name" '.scenarios[$n].rates // empty | .[]' "$scenfile")
	if [ -n "$rates" ]; then
		for r in $rates; do runs="$runs $name:$r"; done
	else
		runs="$runs $name:"
	fi
done

# Samples /metrics every second into $1 until killed: one JSON line per
# sample with the gauges that show load (vLLM's names, old and new).
sample_metrics() {
	while :; do
		t=$(date +%s.%N)
		curl -fsS -m 2 "$base/metrics" 2>/dev/null |
			awk -v t="$t" '
			/^vllm:(num_requests_waiting|num_requests_running|gpu_cache_usage_perc|kv_cache_usage_perc)[{ ]/ {
				name = $1; sub(/\{.*/, "", name); sub(/^vllm:/, "", name)
				v[name] += $NF; seen = 1
			}
			END {
				if (!seen) exit
				printf "{\"t\":%s", t
				for (k in v) printf ",\"%s\":%s", k, v[k]
				print "}"
			}'
		sleep 1
	done >>"$1"
}

# Metric rows summarising the samples: mean and max of each gauge.
summarise_server() {
	jq -c -s --arg s "$2" --arg run "$run_id" --arg tag "${MODEL_TAG:-}" '
		. as $all
		| [$all[] | keys[] | select(. != "t")] | unique[]
		| . as $k
		| [$all[] | .[$k] // empty] as $v
		| select($v | length > 0)
		| ({stat: "mean", value: (($v | add) / ($v | length))}, {stat: "max", value: ($v | max)})
		| {metric: "perf.\($s).server.\($k).\(.stat)", value, n: ($v | length),
		   unit: (if $k | test("perc") then "ratio" else "count" end),
		   labels: {scenario: $s}, run_id: $run, ts: ($all[0].t | floor | todate)}
		  + (if $tag != "" then {model_tag: $tag} else {} end)' "$1"
}

# A field of the current scenario ($name), empty when absent.
get() { jq -r --arg n "$name" --arg k "$1" '.scenarios[$n][$k] // empty' "$scenfile"; }

status=0
: >"$outdir/metrics.jsonl"
for run in $runs; do
	name=${run%%:*}
	rate=${run#*:}
	label=$name
	[ -n "$rate" ] && label=${name}_r$rate
	dir=$outdir/$label
	mkdir -p "$dir"
	n=${prompts:-$(get num_prompts)}
	w=${warmup:-$(get warmup)}
	conc=$(get concurrency)
	burst=$(get burstiness)
	[ -n "$rate" ] || rate=$(get rate)
	seed=$(get seed)
	synth_args="-n ${n:-100} --input-len $(get input_len) --output-len $(get output_len) --seed ${seed:-0}"
	qargs="--endpoint $endpoint --stream --prompt .prompt --warmup ${w:-0}"
	[ -n "$model" ] && qargs="$qargs --model $model"
	[ -n "$conc" ] && qargs="$qargs --concurrency $conc"
	[ -n "$rate" ] && qargs="$qargs --rate $rate"
	[ -n "$rate" ] && [ -n "$burst" ] && qargs="$qargs --burstiness $burst"
	sargs=
	[ -n "$conc" ] && sargs="$sargs --max-concurrency $conc"
	[ -n "$rate" ] && sargs="$sargs --request-rate $rate"

	rm -f "$dir/status"
	: >"$dir/server.jsonl"
	sample_metrics "$dir/server.jsonl" &
	sampler=$!
	# shellcheck disable=SC2086 # the argument lists are built word by word above
	{
		ds-synth $synth_args --endpoint "$endpoint" || echo "ds-synth=$?" >>"$dir/status"
	} | {
		llm-query $qargs || echo "llm-query=$?" >>"$dir/status"
	} | tee "$dir/raw.jsonl" | {
		lat-stats -f rows -s "$label" $sargs >"$dir/metrics.jsonl" ||
			echo "lat-stats=$?" >>"$dir/status"
	}
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	summarise_server "$dir/server.jsonl" "$label" >>"$dir/metrics.jsonl"
	# shellcheck disable=SC2086
	lat-stats -q -f table -s "$label" $sargs "$dir/raw.jsonl" >"$dir/table.txt"
	echo "== $label"
	cat "$dir/table.txt"
	cat "$dir/metrics.jsonl" >>"$outdir/metrics.jsonl"
	if [ -s "$dir/status" ]; then
		echo "$prog: $label: $(paste -sd ' ' "$dir/status")" >&2
		# llm-query's 69 (more failures than it allows) is a finding the rows
		# report; any other status is a failed step.
		bad=$(grep -v '^llm-query=69$' "$dir/status" | head -n 1)
		[ -n "$bad" ] && [ "$status" = 0 ] && status=${bad#*=}
	fi
done
exit "$status"
