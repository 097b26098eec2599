#!/bin/sh
# push-status.sh — a run's outcome and figures to a Prometheus Pushgateway.
#
#   push-status.sh [--status succeeded|failed] [--job NAME] [--url URL]
#                  [--model-tag TAG] [FILE...]
#
# Reads metric or verdict rows (reg-check's output) from FILEs or stdin and
# POSTs, under job NAME (default vllm_eval), the exposition of:
#   vllm_eval_run_status{model_tag,status}           1
#   vllm_eval_run_last_timestamp_seconds{...}        when this run ended
#   vllm_eval_run_last_success_timestamp_seconds     only when it succeeded
#   vllm_eval_release_regression{model_tag}          the release verdict, 1 regression,
#                                                    0 ok: only when the rows hold
#                                                    reg-check's release row (else the
#                                                    last one pushed stays)
#   vllm_eval_regressions{model_tag}                 verdicts with status regression
#                                                    that gate ("gates" true or absent;
#                                                    a subset row, say, does not)
#   vllm_eval_missing{model_tag}                     metrics the last runs had and this
#                                                    one lacks (verdicts with status missing)
#   vllm_eval_incomparable{model_tag}                verdicts with status incomparable: a
#                                                    task's version changed, nothing to
#                                                    compare with (reg-check(1))
#   vllm_eval_metric_value{model_tag,metric,subset}  each row's value
# The release row ({"metric":"release",...}, vllm-eval(7)) is the verdict,
# never a metric: it is in none of the counts and has no value series.
# POST (not PUT) keeps the last success time when a failed run is pushed,
# which share/prometheus/vllm-eval-rules.yml needs to see a missing run.
# The Pushgateway is --url or PUSHGATEWAY_URL; its URL (which may hold
# user:password@) reaches curl in a config on stdin, never on the command
# line. Each try may take PUSH_TIMEOUT seconds (default 30). Exit: 0 pushed,
# 64 usage, 65 bad rows, 69 the Pushgateway did not take it after retries.
set -eu

prog=push-status.sh
status=succeeded
job=vllm_eval
url=${PUSHGATEWAY_URL:-}
tag=${MODEL_TAG:-}

usage() {
	echo "usage: $prog [--status succeeded|failed] [--job NAME] [--url URL] [--model-tag TAG] [FILE...]"
}

while [ $# -gt 0 ]; do
	case $1 in
	--status) status=${2:?}; shift 2 ;;
	--job) job=${2:?}; shift 2 ;;
	--url) url=${2:?}; shift 2 ;;
	--model-tag) tag=${2:?}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "$prog: unknown option $1" >&2; usage >&2; exit 64 ;;
	*) break ;;
	esac
done
case $status in succeeded | failed) ;; *) echo "$prog: --status must be succeeded or failed" >&2; exit 64 ;; esac
case $job in *[!A-Za-z0-9_-]* | '') echo "$prog: --job must be letters, digits, _ or -" >&2; exit 64 ;; esac
[ -n "$url" ] || { echo "$prog: no Pushgateway: give --url or set PUSHGATEWAY_URL" >&2; exit 64; }
case $url in http://* | https://*) ;; *) echo "$prog: the Pushgateway URL must be http:// or https://" >&2; exit 64 ;; esac
timeout=${PUSH_TIMEOUT:-30}
case $timeout in '' | *[!0-9]* | 0) echo "$prog: PUSH_TIMEOUT must be a whole number of seconds above 0" >&2; exit 64 ;; esac

body=$(mktemp)
trap 'rm -f "$body"' EXIT
# Label values escaped as the exposition format says: \ " and newline.
if ! jq -rn --arg status "$status" --arg tag "$tag" --argjson now "$(date +%s)" '
	def esc: tostring | gsub("\\\\"; "\\\\") | gsub("\""; "\\\"") | gsub("\n"; "\\n");
	def release: type == "object" and .metric == "release";
	[inputs] as $all
	| [$all[] | select(release)] as $release
	| [$all[] | select(release | not)] as $rows
	| ($rows | map(select(type != "object" or (.metric | type) != "string"
		or ((.value | type) != "number" and .status != "missing"))) | length) as $bad
	| if $bad > 0 then error("\($bad) rows without a string metric and a number value (or status missing)") else . end
	| if ($release | length) > 1 then error("\($release | length) release rows: one run has one")
	  elif $release != [] and ($release[0].status | . != "ok" and . != "regression")
	  then error("a release row with a status other than ok or regression") else . end
	| (if $tag != "" then $tag else ([$all[] | .model_tag | strings] | first // "unknown") end) as $mt
	| "model_tag=\"\($mt | esc)\"" as $l
	| "# TYPE vllm_eval_run_status gauge",
	  "vllm_eval_run_status{\($l),status=\"\($status)\"} 1",
	  "# TYPE vllm_eval_run_last_timestamp_seconds gauge",
	  "vllm_eval_run_last_timestamp_seconds{\($l)} \($now)",
	  (if $status == "succeeded" then
	     "# TYPE vllm_eval_run_last_success_timestamp_seconds gauge",
	     "vllm_eval_run_last_success_timestamp_seconds \($now)"
	   else empty end),
	  (if $release != [] then
	     "# TYPE vllm_eval_release_regression gauge",
	     "vllm_eval_release_regression{\($l)} \(if $release[0].status == "regression" then 1 else 0 end)"
	   else empty end),
	  "# TYPE vllm_eval_regressions gauge",
	  "vllm_eval_regressions{\($l)} \([$rows[] | select(.status == "regression" and .gates != false)] | length)",
	  "# TYPE vllm_eval_missing gauge",
	  "vllm_eval_missing{\($l)} \([$rows[] | select(.status == "missing")] | length)",
	  "# TYPE vllm_eval_incomparable gauge",
	  "vllm_eval_incomparable{\($l)} \([$rows[] | select(.status == "incomparable")] | length)",
	  "# TYPE vllm_eval_metric_value gauge",
	  ($rows[] | select(.value | type == "number") | "vllm_eval_metric_value{\($l),metric=\"\(.metric | esc)\",subset=\"\(.labels.subset // "" | esc)\"} \(.value)")
' "$@" > "$body"; then
	echo "$prog: the rows cannot be read (see jq's message above)" >&2
	exit 65
fi
# A value in a curl config's double quotes: backslashes and quotes escaped.
quoted=$(printf '%s' "${url%/}/metrics/job/$job" | sed 's/[\\"]/\\&/g')
if ! printf 'url = "%s"\n' "$quoted" | curl -K - -fsS --proto =http,https --retry 3 --retry-delay 1 \
	--retry-connrefused --connect-timeout 10 --max-time "$timeout" -o /dev/null \
	--data-binary @"$body" 2>/dev/null; then
	echo "$prog: the Pushgateway did not take the push (after 4 tries)" >&2
	exit 69
fi
