#!/bin/sh
# release-eval.sh — the main job: evaluate one release of a served model.
#
#   prepare datasets → warm-up and sanity request → benchmarks of the suite →
#   judge metrics → serving scenarios → aggregate (store, reg-check, card,
#   Pushgateway)
#
# Each stage is its own script, which is what an Argo step runs; this one runs
# them in order at a terminal or from cron. Everything the run produced, and
# a JSONL audit log of what ran, when, with which versions and on which
# inputs, stays in runs/RUN_ID/.
set -u
prog=release-eval.sh
# shellcheck source=pipelines/common.sh
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $prog [-s SUITE] [--limit N] [--scenarios LIST] [--perf-prompts N]
                      [--no-judge] [--no-perf]

Evaluate the model at MODEL_ENDPOINT as release MODEL_TAG.

  -s, --suite SUITE       benchmark suite of share/suites.json (default \$SUITE, else quick)
      --limit N           documents per task, overriding the suite
      --scenarios LIST    serving scenarios, comma-separated (default \$PERF_SCENARIOS,
                          else basic_performance)
      --perf-prompts N    prompts per scenario, overriding share/bench/scenarios.json
      --no-judge          skip the judge metrics
      --no-perf           skip the serving scenarios
  -h, --help              this help

Environment: MODEL_ENDPOINT and MODEL_TAG (required); SUITE, RUN_ID, RUNS_DIR,
JUDGE_ENDPOINT (default: the model judges itself), CLICKHOUSE_URL,
TEAMS_WEBHOOK_URL, PUSHGATEWAY_URL and the rest of aggregate.sh's.

Exit: 0 the release did not regress, 1 its release verdict is regression (and
reported), 64 usage, 65 a task produced no results, 69 the endpoint failed its
sanity check, 75 a temporary failure (safe to retry).
USAGE
}

suite=${SUITE:-quick} limit='' scenarios=${PERF_SCENARIOS:-basic_performance} prompts=''
judge=1 perf=1
while [ $# -gt 0 ]; do
	case $1 in
	-s | --suite) suite=${2?}; shift ;;
	--limit) limit=${2?}; shift ;;
	--scenarios) scenarios=${2?}; shift ;;
	--perf-prompts) prompts=${2?}; shift ;;
	--no-judge) judge='' ;;
	--no-perf) perf='' ;;
	-h | --help) usage; exit 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; echo "Try '$prog --help' for more information." >&2; exit 64 ;;
	esac
	shift
done
[ -n "${MODEL_ENDPOINT:-}" ] || { echo "$prog: MODEL_ENDPOINT is not set" >&2; exit 64; }
[ -n "${MODEL_TAG:-}" ] || { echo "$prog: MODEL_TAG is not set" >&2; exit 64; }
export SUITE="$suite" MODEL_TAG MODEL_ENDPOINT
ve_init_run
d=$RUN_DIR
ve_audit "$prog" start "$(jq -nc --arg s "$suite" --arg e "$MODEL_ENDPOINT" \
	--argjson v "$(ve_versions)" "$ve_jq_redact"'{suite: $s, endpoint: ($e | redact), versions: $v}')"
say() { [ -t 1 ] && printf '\033[1m%s\033[0m\n' "$*" || printf '%s\n' "$*"; }
say "== $MODEL_TAG: run $RUN_ID ($d)"

# Prepare: the suite's data, exact duplicates dropped, with a manifest of
# what was evaluated (the audit log points at it).
mkdir -p "$d/data" || exit 74
for f in $(jq -r --arg s "$suite" '. as $r | (.suites[$s] // error("no suite"))[].task |
		$r.tasks[.] | .data, (.fewshot // empty)' "$VLLM_EVAL_SHARE/suites.json" 2>/dev/null | sort -u); do
	ds-hash -q "$VLLM_EVAL_SHARE/$f" > "$d/data/$(basename "$f")" ||
		ve_die 65 "$f: cannot prepare"
done
[ -n "$(find "$d/data" -mindepth 1 -maxdepth 1)" ] || ve_die 64 "no suite '$suite' in $VLLM_EVAL_SHARE/suites.json"
# Its paths are relative to the manifest's directory, as ds-hash --check reads them.
(cd "$d" && ds-hash --manifest --name "$suite" --dataset-version "$RUN_ID" data/*.jsonl) > "$d/inputs.manifest.yaml" ||
	ve_die 65 "cannot write the inputs' manifest"
ve_audit prepare end "{\"manifest\":\"inputs.manifest.yaml\",\"files\":$(find "$d/data" -mindepth 1 -maxdepth 1 -exec basename {} \; | sort | jq -Rnc '[inputs]')}"

# Warm-up and a sanity request before the long runs: a server that answers
# nothing useful should fail here, in seconds, not after an hour.
printf '{"id":"sanity","prompt":"The capital of France is"}\n' > "$d/sanity.in.jsonl"
ve_step sanity llm-query -q --retries 5 --warmup 2 -p .prompt --temperature 0 --max-tokens 8 \
	"$d/sanity.in.jsonl" > "$d/sanity.jsonl" ||
	ve_die 69 "the endpoint failed its sanity request (see $d/sanity.jsonl)"
jq -e 'select(.response.status == 200 and (.response.text | length) > 0)' "$d/sanity.jsonl" >/dev/null ||
	ve_die 69 "the endpoint's sanity answer is empty or an error (see $d/sanity.jsonl)"

say "-- benchmarks ($suite)"
set --
[ -n "$limit" ] && set -- --limit "$limit"
ve_step run-benchmarks "$ve_here/run-benchmarks.sh" -s "$suite" --data "$d/data" -o "$d/bench" "$@" ||
	ve_die $? "the benchmarks failed"

if [ -n "$judge" ]; then
	say "-- judge metrics"
	ve_step run-judge "$ve_here/run-judge.sh" -o "$d/judge" || ve_die $? "the judge metrics failed"
fi

if [ -n "$perf" ]; then
	say "-- serving scenarios ($scenarios)"
	set --
	[ -n "$prompts" ] && set -- -n "$prompts"
	# shellcheck disable=SC2046
	ve_step perf-bench "$ve_here/perf-bench.sh" -o "$d/perf" "$@" $(echo "$scenarios" | tr ',' ' ') \
		> "$d/perf.txt" || ve_die $? "the serving scenarios failed"
fi

say "-- aggregate"
"$ve_here/aggregate.sh" -d "$d" -s "$suite"
rc=$?
[ $rc -le 1 ] || exit $rc
ve_audit "$prog" end "{\"status\":$rc}"

# A readable summary: the release verdict and the findings that decided it,
# then the headline figures with their verdicts as detail, the card, where
# everything is. (All rows are in metrics.jsonl and verdicts.jsonl.)
v=$d/verdicts.jsonl
tab=$(printf '\t')
say "-- $MODEL_TAG: release $(jq -r -s --arg rc "$rc" '(map(select(.metric == "release")) | first) as $r
	| if $r then "\($r.status): \($r.findings | length) finding(s) among \($r.gated) gated metric(s) (rule \($r.rule)"
		+ (if $r.adjust then ", \($r.adjust), alpha \($r.alpha)" else "" end) + ")"
	  else if $rc == "0" then "ok" else "regression" end end' "$v")"
found=$(jq -r 'def r3: if . == null then "-" else . * 1000 | round / 1000 | tostring end;
	select(.metric == "release") | .findings[]
	| [.metric + (if .labels.subset then " [\(.labels.subset)]" else "" end),
	   (.value | r3), (.baseline | r3),
	   (if .delta_pct == null then "-" else "\(.delta_pct * 10 | round / 10)%" end),
	   .status, (.test // "-"), (if .p_adjusted == null then "-" else .p_adjusted | tostring end)] | @tsv' "$v")
[ -z "$found" ] || printf 'finding\tvalue\tbaseline\tchange\tstatus\ttest\tadjusted p\n%s\n' "$found" |
	column -t -s "$tab" | sed 's/^/   /'
say "   detail: $(jq -s 'length' "$d/metrics.jsonl") metrics; $(jq -r -s 'map(select(.metric != "release")) | "\([.[] | select(.status == "regression")] | length) regressed (\([.[] | select(.status == "regression" and .gates == false)] | length) not gating), \([.[] | select(.status == "missing")] | length) missing"
	+ ([.[] | select(.status == "incomparable")] | length
	   | if . > 0 then ", \(.) incomparable (a task changed)" else "" end)' "$v")"
# A task's headline is acc (multiple choice), exact_match.strict_match
# (GSM8K), accuracy (AIME's avg@n, MATH-500, code's pass@1) or regex_match
# (GPQA), then its
# output_tokens (a reasoning model that thinks longer shows there): rows of
# one task together, in reg-check's order otherwise.
jq -r -n "$ve_jq_headline"'[inputs | headline]
	| (map(.metric | split(".")[0])) as $first
	| to_entries
	| sort_by((.value.metric | split(".")[0]) as $t
		| [($first | index($t)), (.value.metric | endswith(".output_tokens")), .key])
	| .[].value
	| [.metric, (if .value == null then "-" else (.value * 1000 | round / 1000 | tostring) end),
	   (if .baseline == null then "-" else (.baseline * 1000 | round / 1000 | tostring) end),
	   (if .delta_pct == null then "-" else "\(.delta_pct * 10 | round / 10)%" end),
	   .status + (if .status == "incomparable" then " (\(.note))"
		elif .gates == false and .note then " (not gating: \(.note))" else "" end)] | @tsv' \
	"$v" | { printf 'metric\tvalue\tbaseline\tchange\tstatus\n'; cat; } |
	column -t -s "$tab" | sed 's/^/   /'
if [ -s "$d/card.json" ]; then
	say "   card: $d/card.json (set TEAMS_WEBHOOK_URL to post it)"
	# Its text, the release verdict's findings too (not the long list of metrics).
	jq -r '.attachments[0].content.body[]? | if .type == "TextBlock" then .text
		elif .type == "Container" then .items[] | if .type == "TextBlock" then .text
			elif .type == "FactSet" then .facts[] | "  \(.title): \(.value)" else empty end
		else empty end | "   | " + .' "$d/card.json"
fi
[ -s "$d/report.html" ] && say "   report: $d/report.html"
say "   files: $d/ (metrics.jsonl, verdicts.jsonl, items.jsonl, audit.jsonl, bench/, judge/, perf/: tables in perf.txt)"
exit $rc
