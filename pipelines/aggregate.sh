#!/bin/sh
# aggregate.sh — the last step (Argo: aggregate-metrics): gather the run's
# results, score each benchmark task over all its shards, check that every
# task requested produced results, compare with the history (reg-check),
# store the figures, send or print the card, push to the Pushgateway, and
# upload the audit log. In RUN_DIR:
#   metrics.jsonl   every metric row of the run    items.jsonl  item rows
#   history.jsonl   the history compared with      verdicts.jsonl  reg-check
#   card.json       the Teams message (when not posted)
#   report.html     the run's report (report.sh)
# Storage: ClickHouse when CLICKHOUSE_URL is set, else the local history file
# (RUNS_DIR/history.jsonl) that the next run's reg-check reads.
# Exit: 0 no regression, 1 a regression (after storing and telling), 65 a
# task, or a shard of one (run-benchmarks.sh --shard I/N), produced no
# results, 69/75 a service failed (75: spooled, retry).
# A regression is the release verdict's: reg-check's release row (reg-check(1)),
# which the audit log, the runs table, the Pushgateway and the last line take.
set -u
prog=aggregate.sh
# shellcheck source=pipelines/common.sh
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $prog [-d RUN_DIR] [--logs DIR] [-s SUITE] [--history FILE] [--audit-s3 URL]

  -d, --run-dir DIR   the run's directory (default \$RUN_DIR, else runs/\$RUN_ID)
      --logs DIR      the run's directory on the shared volume (Argo)
  -s, --suite SUITE   tasks that must have results (default \$SUITE, else quick)
      --history FILE  local history (default \$RUNS_DIR/history.jsonl)
      --audit-s3 URL  upload audit.jsonl to this s3:// URL
  -h, --help          this help

Environment: RUN_ID, MODEL_TAG, CLICKHOUSE_URL (+ CLICKHOUSE_USER,
CLICKHOUSE_PASSWORD), TEAMS_WEBHOOK_URL, TEAMS_MENTION (NAME=UPN of @LLM-Ops),
WORKFLOW_URL, PUSHGATEWAY_URL, and reg-check's settings:
  REG_RULE       stat (default: headline rows tested, adjusted) or prd (every
                 row worse by REG_THRESHOLD %)
  REG_ALPHA      stat: the release's false-alarm level (reg-check's default 0.05)
  REG_ADJUST     stat: holm (default) or bh
  REG_WINDOW     runs in the baseline (default 5)
  REG_MIN_RUNS   fewer earlier runs is insufficient history (default 3)
  REG_THRESHOLD  prd: the drop in % (default 10)
The item rows of the REG_WINDOW newest earlier runs (\$RUNS_DIR/RUN/items.jsonl,
or ClickHouse's) are paired with this run's: the paired z-test against each
item's share right in them (McNemar's test with one run); without them
reg-check uses the z-test of the figures.

The audit log: where the run's steps wrote files of their own (Argo's pods,
RUN_DIR/audit/*.jsonl, AUDIT_LOG), RUN_DIR/audit.jsonl is made of all their
lines ordered by time, this step's included; a line that is not a JSON object
with a "ts" is warned about and kept as an event "malformed". Without
RUN_DIR/audit/, audit.jsonl is the steps' own (a run on one machine).

A task run as shards (run-benchmarks.sh --shard I/N, Argo's fan-out) is scored
once over all its shards' answers; each of the N shards must have finished
(its done.json), or the run is refused, exit 65, naming the shards missing.

Exit: 0 the release did not regress, 1 it did (stored and told all the same),
64 usage, 65 a task or a shard of one produced no results, 69/75 a service
failed (75: retry).
USAGE
}

suite=${SUITE:-quick} history='' audit_s3=''
argv=$(ve_argv_json "$prog" "$@")
while [ $# -gt 0 ]; do
	case $1 in
	-d | --run-dir | --logs) RUN_DIR=${2?}; shift ;;
	-s | --suite) suite=${2?}; shift ;;
	--history) history=${2?}; shift ;;
	--audit-s3) audit_s3=${2?}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; echo "Try '$prog --help' for more information." >&2; exit 64 ;;
	esac
	shift
done
case ${REG_RULE:-stat} in stat | prd) ;; *) echo "$prog: REG_RULE must be stat or prd" >&2; exit 64 ;; esac
case ${REG_ADJUST:-holm} in holm | bh) ;; *) echo "$prog: REG_ADJUST must be holm or bh" >&2; exit 64 ;; esac
# A run directory given without RUN_ID names the run.
[ -n "${RUN_DIR:-}" ] && [ -z "${RUN_ID:-}" ] && RUN_ID=$(basename "$RUN_DIR")
ve_init_run
[ -n "${MODEL_TAG:-}" ] || ve_die 64 "MODEL_TAG is not set"
export RUN_ID MODEL_TAG
history=${history:-$RUNS_DIR/history.jsonl}
suites=$VLLM_EVAL_SHARE/suites.json
d=$RUN_DIR

# merge_audit: an Argo run's steps each wrote their audit lines to a file of
# their own, audit/NAME.jsonl (common.sh, AUDIT_LOG: many pods appending to
# one file on the shared volume would interleave or lose lines).
# RUN_DIR/audit.jsonl is then made here, and only here: every line of every
# file, ordered by time (stable: a second's lines in file-name order, each
# file's in its order). A line that is not a JSON object with a "ts" (a
# pod killed mid-line) is told and kept, as an event "malformed" naming its
# file, line and text, timed as the line before it. A run without audit/ (a
# local run, whose steps wrote audit.jsonl in turn) is left as it is.
merge_audit() {
	set -- "$d"/audit/*.jsonl
	[ -e "$1" ] || return 0
	for f; do
		jq -nRc --arg f "audit/${f##*/}" 'foreach inputs as $l ({n: 0, ts: ""};
			(try ($l | fromjson) catch null) as $j
			| .n += 1 | .ok = (($j | type) == "object" and ($j.ts | type) == "string")
			| if .ok then .ts = $j.ts | .line = $j else .line = {file: $f, line: .n, text: $l} end;
			{ts, ok, line})' "$f" || return 1
	done | jq -sc --arg r "$RUN_ID" --arg t "$MODEL_TAG" --arg p "$prog" 'sort_by(.ts)[]
		| if .ok then .line
		  else {ts, run_id: $r, model_tag: $t, stage: $p, event: "malformed"} + .line end' \
		> "$d/audit.jsonl.part" || return 1
	jq -r --arg p "$prog" 'select(.event == "malformed" and .stage == $p)
		| "\($p): warning: \(.file):\(.line): not an audit line (JSON object with a ts); kept as event malformed"' \
		"$d/audit.jsonl.part" >&2
	mv -f "$d/audit.jsonl.part" "$d/audit.jsonl"
}
# This step's own lines go beside the others' when there are any.
[ -d "$d/audit" ] && [ -z "${AUDIT_LOG:-}" ] && AUDIT_LOG=$d/audit/aggregate.jsonl
# A step of its own, as ve_own_step makes the others: its start here, its
# end once the verdicts are in (status: the verdict's), before the audit log
# is merged the last time and sent.
t0=$(date +%s)
[ -z "${AUDIT_LOG:-}" ] || ve_audit "$prog" start "{\"argv\":$argv,\"versions\":$(ve_versions)}"
merge_audit || ve_die 74 "$d/audit: cannot merge the audit files into $d/audit.jsonl"

# shard_dir TASK N I: the directory of shard I of N of TASK, as
# run-benchmarks.sh names it: bench/TASK unsharded, else bench/TASK-I.
shard_dir() {
	if [ "$2" -eq 1 ]; then echo "$d/bench/$1"; else echo "$d/bench/$1-$3"; fi
}

# 1. Benchmarks. First the fan-out: the shards of each task that
# run-benchmarks.sh finished (done.json, which says I/N); every shard 0 to
# N-1 of a task must have finished, or its figures would be those of part of
# its documents, and shards of two fan-outs would count documents twice. A
# task none of whose shards finished has no results (3. tells when the
# suite asks for it).
plan=''
missing=''
if [ -d "$d/bench" ]; then
	for task in $(find "$d/bench" -mindepth 1 -maxdepth 1 -type d -exec basename {} \; |
		sed 's/-[0-9]*$//' | sort -u); do
		n=$(cat "$d/bench/$task/done.json" "$d/bench/$task"-[0-9]*/done.json 2>/dev/null |
			jq -r '.shard | split("/")[1]' | sort -un | paste -sd' ' -)
		case $n in
		'') continue ;;
		*' '*) ve_die 65 "$task: shards of different fan-outs (N = $n) in $d/bench: keep one run's" ;;
		esac
		i=0
		while [ $i -lt "$n" ]; do
			sd=$(shard_dir "$task" "$n" $i)
			[ -s "$sd/done.json" ] || missing="$missing, $task $i/$n (no $sd/done.json)"
			i=$((i + 1))
		done
		plan="$plan $task:$n"
	done
fi
[ -z "$missing" ] || ve_die 65 "shard(s) missing or unfinished: ${missing#, }"

# Then each task scored once over all its shards' answers.
: > "$d/metrics.jsonl.part"
: > "$d/items.jsonl"
for tn in $plan; do
	task=${tn%:*} n=${tn#*:}
	# Each shard's answers; a code task's as code-run graded them, never
	# without its verdicts.
	code=$(jq -r --arg t "$task" '.tasks[$t] | has("coderun_args")' "$suites")
	set --
	i=0
	while [ $i -lt "$n" ]; do
		sd=$(shard_dir "$task" "$n" $i)
		i=$((i + 1))
		f=$sd/raw.jsonl
		if [ "$code" = true ] && [ -s "$f" ]; then
			[ -s "$sd/graded.jsonl" ] || ve_die 65 "$task: $sd has answers but no code-run verdicts (graded.jsonl)"
			f=$sd/graded.jsonl
		fi
		[ -s "$f" ] && set -- "$@" "$f"
	done
	# No shard had a document: the task rendered nothing (3. tells).
	[ $# -gt 0 ] || continue
	# All the answers in one order, their ids' (doc_id, then choice or
	# sample), each line as written: the scorers' figures do not depend on
	# the order they read (exact sums), but the run's items.jsonl, the
	# baseline later runs pair with, is then the same bytes however the
	# documents were split into shards and in whatever order their answers
	# came.
	a=$d/answers.$task.jsonl
	cat "$@" | jq -rR '(fromjson | [.doc_id, .choice, .sample] | tojson) + "\t" + .' > "$a.keyed" ||
		ve_die 65 "$task: an answer is not a JSON object (in $*)"
	{ LC_ALL=C sort -s -t "$(printf '\t')" -k1,1 -o "$a.keyed" "$a.keyed" && cut -f2- "$a.keyed" > "$a"; } ||
		ve_die 74 "$task: cannot write $a"
	rm -f "$a.keyed"
	set -- "$a"
	# The task's version, as run-benchmarks.sh wrote it beside the answers
	# (every shard's is the same): its rows and items carry it.
	f=$(shard_dir "$task" "$n" 0)/version.json
	[ -s "$f" ] && set -- --task-version "$(jq -r .version "$f")" --task-inputs "$(jq -r .parts "$f")" "$@"
	scorer=$(jq -r --arg t "$task" '.tasks[$t].scorer // "score-mcq"' "$suites")
	if [ "$scorer" = score-mcq ]; then
		score-mcq -q -t "$task" -i "$d/items.$task.jsonl" "$@" >> "$d/metrics.jsonl.part"
	else
		# The task's scorer arguments (scorer_args: metrics, filters),
		# quoted by jq's @sh, before the answer files.
		na=$#
		eval "set -- \"\$@\" $(jq -r --arg t "$task" '(.tasks[$t].scorer_args // []) | map(@sh) | join(" ")' "$suites")"
		[ "${THINK_IN_PROMPT:-}" = 1 ] && set -- "$@" --think-in-prompt
		# Rotate the answer files (the first na) behind the arguments.
		i=0
		while [ $i -lt "$na" ]; do
			set -- "$@" "$1"
			shift
			i=$((i + 1))
		done
		score-gen -q -t "$task" -i "$d/items.$task.jsonl" "$@" >> "$d/metrics.jsonl.part"
	fi
	rc=$?
	[ $rc -eq 0 ] || ve_die $rc "$task: $scorer failed (exit $rc)"
	cat "$d/items.$task.jsonl" >> "$d/items.jsonl"
	rm -f "$d/items.$task.jsonl" "$d/answers.$task.jsonl"
done
# 2. Judge and serving figures, as their steps wrote them.
for f in "$d/judge/metrics.jsonl" "$d/perf/metrics.jsonl"; do
	[ -s "$f" ] && cat "$f" >> "$d/metrics.jsonl.part"
done
mv "$d/metrics.jsonl.part" "$d/metrics.jsonl"

# 3. Every task requested must have produced results.
missing=''
for task in $(jq -r --arg s "$suite" '(.suites[$s] // [])[].task' "$suites"); do
	jq -ne --arg t "$task" 'any(inputs; .metric | startswith($t + "."))' "$d/metrics.jsonl" >/dev/null 2>&1 ||
		missing="$missing $task"
done
[ -z "$missing" ] || ve_die 65 "no results for task(s):$missing (suite $suite)"
[ -s "$d/metrics.jsonl" ] || ve_die 65 "the run produced no metric rows"

# 4. The history to compare with: earlier runs only.
if [ -n "${CLICKHOUSE_URL:-}" ]; then
	# The model family is the tag up to its version: release-1.4.0 -> release-.
	ch-query -q -n history -p "family=${MODEL_FAMILY:-${MODEL_TAG%%[0-9]*}}" \
		-p "runs=${REG_HISTORY_RUNS:-20}" > "$d/history.all.jsonl" ||
		ve_die 75 "cannot read the history from ClickHouse (safe to retry)"
	jq -c --arg r "$RUN_ID" 'select(.run_id != $r)' "$d/history.all.jsonl" > "$d/history.jsonl"
	rm -f "$d/history.all.jsonl"
else
	if [ -s "$history" ]; then
		jq -c --arg r "$RUN_ID" 'select(.run_id != $r)' "$history" > "$d/history.jsonl"
	else
		: > "$d/history.jsonl"
	fi
fi

# 5. The baseline runs' item rows, so that reg-check pairs the items (the
# paired z-test against each item's share right; McNemar's with one run):
# those of the REG_WINDOW newest runs of the history that kept them. Without
# any (a run from before items were kept) it uses the z-test of the figures.
bases=$(jq -rn --argjson w "${REG_WINDOW:-5}" '[inputs | select(.run_id != null)
	| {run_id, ts: (.ts // "")}] | group_by(.run_id) | map(max_by(.ts))
	| sort_by([.ts, .run_id]) | reverse | .[:$w][] | .run_id' "$d/history.jsonl")
rm -f "$d"/items.baseline.*.jsonl
set --
used=''
if [ -s "$d/items.jsonl" ]; then
	for base in $bases; do
		case $base in .* | -* | *[!A-Za-z0-9._-]*) continue ;; esac
		f=$RUNS_DIR/$base/items.jsonl
		if [ -n "${CLICKHOUSE_URL:-}" ]; then
			f=$d/items.baseline.$base.jsonl
			ch-query -q -n items -p "run_id=$base" > "$f" ||
				ve_die 75 "cannot read the items of run $base from ClickHouse (safe to retry)"
		fi
		if [ -s "$f" ]; then
			set -- "$@" --items-baseline "$f"
			used="$used $base"
		fi
	done
	[ $# -gt 0 ] && set -- "$@" --items-current "$d/items.jsonl"
fi
paired=$([ $# -gt 0 ] && echo true || echo false)

# 6. The verdicts: the release row first, then one row per metric.
[ -n "${REG_ALPHA:-}" ] && set -- "$@" --alpha "$REG_ALPHA"
[ -n "${REG_ADJUST:-}" ] && set -- "$@" --adjust "$REG_ADJUST"
reg-check -q -H "$d/history.jsonl" --rule "${REG_RULE:-stat}" -w "${REG_WINDOW:-5}" \
	--min-runs "${REG_MIN_RUNS:-3}" -t "${REG_THRESHOLD:-10}" "$@" "$d/metrics.jsonl" > "$d/verdicts.jsonl"
verdict=$?
[ $verdict -le 1 ] || ve_die $verdict "reg-check failed (exit $verdict)"
# The run's state is the release row's; the counts are of the other rows.
state=$(jq -r 'select(.metric == "release") | .status' "$d/verdicts.jsonl" | head -n 1)
[ -n "$state" ] || state=$([ $verdict -eq 0 ] && echo ok || echo regression)
ve_audit reg-check verdicts "$(jq -sc --arg st "$state" --arg b "$used" --argjson p "$paired" '
	(map(select(.metric == "release")) | first) as $r | map(select(.metric != "release")) as $v
	| {release: $st, findings: ($r.findings // [] | length),
	   regressions: [$v[] | select(.status == "regression")] | length,
	   missing: [$v[] | select(.status == "missing")] | length,
	   incomparable: [$v[] | select(.status == "incomparable")] | length,
	   baseline_runs: ($b | split(" ") | map(select(. != ""))), paired_items: $p}' "$d/verdicts.jsonl")"

# 7. Store the figures.
if [ -n "${CLICKHOUSE_URL:-}" ]; then
	# What an earlier try of this step spooled goes first.
	if [ -d "$d/spool" ] && [ -n "$(ls "$d/spool")" ]; then
		ch-insert -q --flush-spool --spool "$d/spool" || ve_die $? "sending the spooled batches failed"
	fi
	ch-insert -q -t results --spool "$d/spool" "$d/metrics.jsonl" || ve_die $? "storing metric rows failed"
	if [ -s "$d/items.jsonl" ]; then
		ch-insert -q -t items --spool "$d/spool" "$d/items.jsonl" || ve_die $? "storing item rows failed"
	fi
	# The verdicts, for the dashboard (the rule is reg-check's, computed once),
	# timed at the run's start: a retry of this step replaces them.
	vts=$(jq -r 'select(.event == "start") | .ts' "$d/audit.jsonl" 2>/dev/null | head -1)
	ch-insert -q -t verdicts ${vts:+--ts "$vts"} --spool "$d/spool" "$d/verdicts.jsonl" ||
		ve_die $? "storing the verdict rows failed"
	jq -nc --arg r "$RUN_ID" --arg t "$MODEL_TAG" --arg i "${MODEL_IMAGE:-}" \
		--arg s "$(jq -r 'select(.event == "start") | .ts' "$d/audit.jsonl" 2>/dev/null | head -1)" \
		--arg f "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg u "${WORKFLOW_URL:-}" \
		--arg st "$state" \
		'{run_id: $r, model_tag: $t, image: $i, started: (if $s == "" then $f else $s end), finished: $f, status: $st, workflow_url: $u}' |
		ch-insert -q -t runs --spool "$d/spool" || ve_die $? "storing the run row failed"
else
	# Re-running the step replaces this run's rows instead of adding them again.
	if [ -s "$history" ]; then
		jq -c --arg r "$RUN_ID" 'select(.run_id != $r)' "$history" > "$history.tmp.$$" ||
			ve_die 74 "$history: cannot rewrite"
	else
		: > "$history.tmp.$$"
	fi
	if ! { cat "$d/metrics.jsonl" >> "$history.tmp.$$" && mv -f "$history.tmp.$$" "$history"; }; then
		ve_die 74 "$history: cannot write"
	fi
fi

# 8. The Pushgateway, for dashboards that read Prometheus: the verdict rows
# (one per metric and labels; metric and verdict rows together would repeat
# series, which the Pushgateway refuses). Before the card, so a retry of a
# failed push does not post the card twice.
if [ -n "${PUSHGATEWAY_URL:-}" ]; then
	"$ve_here/push-status.sh" --model-tag "$MODEL_TAG" \
		--status "$([ "$state" = ok ] && echo succeeded || echo failed)" \
		"$d/verdicts.jsonl" || ve_die 75 "the Pushgateway did not take the run's figures"
fi

# 9. The card: posted when TEAMS_WEBHOOK_URL is set, else kept and summarised.
set --
[ -n "${TEAMS_MENTION:-}" ] && set -- "$@" --mention "$TEAMS_MENTION"
[ -n "${WORKFLOW_URL:-}" ] && set -- "$@" --link "Workflow=$WORKFLOW_URL"
if [ -n "${TEAMS_WEBHOOK_URL:-}" ]; then
	teams-card -q "$@" "$d/verdicts.jsonl" || ve_die $? "posting the card failed"
else
	teams-card -q --print "$@" "$d/verdicts.jsonl" > "$d/card.json" || ve_die $? "building the card failed"
fi

# 10. The audit log, every step's (merge_audit), to S3 when asked (the
# bucket keeps it 90 days or more).
[ -z "${AUDIT_LOG:-}" ] || ve_audit "$prog" end "{\"status\":$verdict,\"seconds\":$(($(date +%s) - t0))}"
merge_audit || ve_die 74 "$d/audit: cannot merge the audit files into $d/audit.jsonl"
if [ -n "$audit_s3" ]; then
	# shellcheck source=pipelines/dataset-lib.sh
	. "$ve_here/dataset-lib.sh"
	publish "$d/audit.jsonl" "$audit_s3"
fi

# 11. The report (report.sh): a report that cannot be written is told, and
# the run's verdict and data stand.
if command -v gnuplot >/dev/null 2>&1; then
	"$ve_here/report.sh" -o "$d/report.html" "$d" >/dev/null ||
		echo "$prog: warning: the HTML report was not written (report.sh failed); the verdicts stand" >&2
else
	echo "$prog: warning: no HTML report: gnuplot is not installed (Debian: gnuplot-nox)" >&2
fi

echo "$prog: $(jq -r -s --arg st "$state" '
	(map(select(.metric == "release")) | first) as $r | map(select(.metric != "release")) as $v
	| "release \($st)"
	  + (if $r then ": \($r.findings | length) finding(s) among \($r.gated) gated metric(s)" else "" end)
	  + "; \([$v[] | select(.status == "regression")] | length) row(s) regressed,"
	  + " \([$v[] | select(.status == "missing")] | length) missing, in \($v | length) verdicts"' \
	"$d/verdicts.jsonl") ($d/verdicts.jsonl)" >&2
exit $verdict
