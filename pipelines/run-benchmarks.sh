#!/bin/sh
# run-benchmarks.sh — the benchmark step (Argo: evalchemy-runner): for each
# task, render its query records from the data with the task's jq template
# (share/tasks), send them (llm-query: loglikelihood or generation), and
# score them (score-mcq or score-gen). Per task, in OUT/TASK[-SHARD]/:
#   requests.jsonl  the query records      raw.jsonl      llm-query's answers
#   metrics.jsonl   metric rows            items.jsonl    item rows
#   version.json    the task's version and what it is made of
#   done.json       written last, {"task":..,"shard":"I/N"}: the task (or
#                   its shard) finished; aggregate.sh takes no other
# A task that produces no metric row is an error: a harness that silently
# drops a task is a known failure. A shard without documents (more shards
# than the task has) is not: it sends and scores nothing.
# A task run again into the same directory (Argo's retry of a step that
# exited 75) resends only the records with no answer (llm-query --resume),
# so its answers end with every record exactly once.
set -u
prog=run-benchmarks.sh
# shellcheck source=pipelines/common.sh
. "$(dirname "$0")/common.sh"
ve_own_step "$@"

usage() {
	cat <<USAGE
usage: $prog [-e URL] [-o DIR] [-s SUITE | -t TASK...] [--shard I/N] [--data DIR]
                        [--shots N] [--limit N] [-c N]

Run the benchmark tasks of SUITE (share/suites.json), or the tasks named,
against an OpenAI-compatible endpoint, and score them.

  -e, --endpoint URL  model endpoint (default \$MODEL_ENDPOINT)
  -o, --out DIR       results (default \$RUN_DIR/bench)
  -s, --suite SUITE   quick, standard, korean, reasoning, demo (default \$SUITE, else quick)
  -t, --task TASK     a task of share/suites.json (repeatable; shots and limit
                      then come from the suite if it lists the task)
      --shard I/N     only the documents of shard I of N (Argo's fan-out)
      --data DIR      where the task data files are (default share/data)
      --shots N       few-shot examples, overriding the suite
      --limit N       documents per task, overriding the suite
  -c, --concurrency N requests in flight (default 16)
  -h, --help          this help

Generation tasks stream: LLM_TIMEOUT (default 300) bounds each silence of a
reply, STREAM_TIMEOUT (default 3600) a whole reply. LLM_RETRIES (default 3)
is llm-query's retries of a failed request. ENDPOINT_WAIT (seconds, default 0)
waits that long for the endpoint's /health to answer before the first task:
an Argo pod's vLLM sidecar starts with the step and loads the model for
minutes. CHAT_TEMPLATE_KWARGS (a JSON object, e.g. '{"enable_thinking":
false}') goes with every chat request; THINK_IN_PROMPT=1 says the chat
template opens the thinking in the prompt (DeepSeek-R1's), so a reply without
</think> is all thinking (score-gen(1)).
PREFIX_TOKEN is the token an empty loglikelihood context stands for, as
lm-eval takes it: the tokenizer's BOS, else its EOS (default <|endoftext|>;
Llama 3's is <|begin_of_text|>, Qwen2-Instruct's <|im_end|>; see llm-query(1)).
AUDIT_LOG (an Argo pod's) is the file this step's audit lines go to, its start
and end included, in place of \$RUN_DIR/audit.jsonl; aggregate.sh merges them.

Exit: 0 ok, 64 usage, 65 a task rendered or scored nothing, 66 missing file,
69 the endpoint refused requests (a 4xx status) or did not answer within
ENDPOINT_WAIT, 75 requests failed for a while (no answer, a timeout, 408,
429, 5xx): run the same command again, which sends only what is unanswered
(Argo retries the step).
USAGE
}

endpoint=${MODEL_ENDPOINT:-} out='' suite=${SUITE:-quick} tasks='' shard='' data=''
shots='' limit='' conc=16
while [ $# -gt 0 ]; do
	case $1 in
	-e | --endpoint) endpoint=${2?}; shift ;;
	-o | --out) out=${2?}; shift ;;
	-s | --suite) suite=${2?}; shift ;;
	-t | --task) tasks="$tasks ${2?}"; shift ;;
	--shard) shard=${2?}; shift ;;
	--data) data=${2?}; shift ;;
	--shots) shots=${2?}; shift ;;
	--limit) limit=${2?}; shift ;;
	-c | --concurrency) conc=${2?}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "$prog: unknown argument '$1'" >&2; echo "Try '$prog --help' for more information." >&2; exit 64 ;;
	esac
	shift
done
ve_init_run
[ -n "$endpoint" ] || ve_die 64 "no endpoint: give -e URL or set MODEL_ENDPOINT"
suites=$VLLM_EVAL_SHARE/suites.json
[ -r "$suites" ] || ve_die 66 "$suites: cannot read"
jq -e --arg s "$suite" '.suites[$s]' "$suites" >/dev/null || ve_die 64 "no suite '$suite' in $suites"
[ -n "$tasks" ] || tasks=$(jq -r --arg s "$suite" '.suites[$s][].task' "$suites")
for v in "$shots" "$limit" "$conc" "${LLM_RETRIES:-3}" "${ENDPOINT_WAIT:-0}"; do
	case $v in *[!0-9]*) ve_die 64 "--shots, --limit, -c, LLM_RETRIES and ENDPOINT_WAIT take whole numbers, got '$v'" ;; esac
done
shard_i=0 shard_n=1
if [ -n "$shard" ]; then
	shard_i=${shard%/*} shard_n=${shard#*/}
	case "$shard" in
	*[!0-9/]* | /* | */ | */*/* | [!0-9]*) ve_die 64 "--shard takes I/N, got '$shard'" ;;
	esac
	[ "$shard_i" -lt "$shard_n" ] || ve_die 64 "--shard $shard: I must be below N"
fi
out=${out:-$RUN_DIR/bench}
data=${data:-$VLLM_EVAL_SHARE/data}

# field JSON EXPR: a value of a JSON object, raw
field() { printf '%s' "$1" | jq -r "$2"; }
# words EXPR: the strings EXPR gives of the task's spec, as shell words for
# eval "set -- ..." (jq's @sh quoting: spaces, newlines and globs stay in).
words() { field "$spec" "[$1] | map(tostring | @sh) | join(\" \")"; }
# sha N [FILE]: the first N hex digits of the SHA-256 of FILE's bytes, or stdin's
sha() { sha_n=$1; shift; sha256sum "$@" | cut -c "1-$sha_n"; }

# task_version TASK SPEC TEMPLATE SHOTS LIMIT DATAFILE [FEWSHOTFILE]: the
# task's version (vllm-eval(7), Task versions): what its figures depend on,
# as one readable string (parts), and the first 12 hex digits of its
# SHA-256 (version). Any change to the template's bytes, its arguments, the
# shots, the limit, the data evaluated, the draws, the generation parameters
# or the scorer's arguments changes it, and reg-check(1) then compares the
# task's figures with no run of the old version. Recorded in the audit log
# and in the task's version.json.
task_version() {
	parts="template=$(sha 8 "$3")"
	# The spec's parts, each as `jq -cS .` writes it, one a line (null where
	# the task has none): its arguments, then what shapes the requests and
	# the scores, where the task has it. One jq for all.
	tv_n=0
	while IFS= read -r tv_json; do
		tv_n=$((tv_n + 1))
		case $tv_n in
		1)
			parts="$parts args=$(printf '%s\n' "$tv_json" | sha 8)"
			parts="$parts shots=$4 limit=$(if [ "$5" -lt 0 ]; then echo all; else echo "$5"; fi)"
			parts="$parts data=$(sha 8 "$6")"
			[ -n "${7:-}" ] && parts="$parts fewshot=$(sha 8 "$7")"
			continue
			;;
		2) tv_part=draw ;;
		3) tv_part=fewshot_draw ;;
		4) tv_part=params ;;
		5) tv_part=coderun ;;
		*) tv_part=scorer ;;
		esac
		[ "$tv_json" = null ] || parts="$parts $tv_part=$(printf '%s\n' "$tv_json" | sha 8)"
	done <<-EOF
		$(printf '%s' "$2" | jq -cS '(.args // {}), (.draw, .fewshot_draw, .params, .coderun_args, .scorer_args | . // null)')
	EOF
	version=$(printf '%s' "$parts" | sha 12)
	jq -nc --arg t "$1" --arg v "$version" --arg p "$parts" '{task: $t, version: $v, parts: $p}'
}

# failed_requests TASK RAW: llm-query gave up on some requests (exit 69).
# Their answers are kept, and the records it got none for are sent again by
# a rerun: when the server failed for a while (no answer, a timeout, 408,
# 429 or 5xx: a vLLM sidecar still loading or restarted), exit 75, which
# Argo retries; when it refused them (another 4xx: too long a prompt, an
# unknown model), a retry would get the same, exit 69.
failed_requests() {
	fr=$(jq -rn 'reduce (inputs | .error // empty | if .kind == "http" and .status >= 400 and .status < 500
		and .status != 408 and .status != 429 then "refused" else "failed" end) as $k ({}; .[$k] += 1)
		| to_entries | map("\(.value) \(.key)") | join(", ")' "$2" 2>/dev/null)
	case $fr in
	*refused*) ve_die 69 "$1: the endpoint refused requests ($fr); the errors are in $2" ;;
	'') ve_die 75 "$1: the endpoint did not answer; run again" ;;
	*) ve_die 75 "$1: requests failed ($fr); the answers are kept in $2: run again to send the rest" ;;
	esac
}

# finish TASK DIR: the task (its shard) is done, the last file written.
finish() {
	if ! { jq -nc --arg t "$1" --arg s "$shard_i/$shard_n" '{task: $t, shard: $s}' > "$2/done.json.part" &&
		mv "$2/done.json.part" "$2/done.json"; }; then
		ve_die 74 "$1: cannot write $2/done.json"
	fi
}

# The endpoint up first, when asked to wait for it (vLLM answers /health
# once the model is loaded).
ve_wait_endpoint "$endpoint"

failed=0
for task in $tasks; do
	# The task's spec (share/suites.json) and what the run takes of it, with
	# the suite's shots and limit, as shell assignments from one jq (@sh
	# quotes them): a shard's pod does all of this per task.
	vars=$(jq -r --arg s "$suite" --arg t "$task" '. as $r | .tasks[$t] // empty
		| ([$r.suites[$s][]? | select(.task == $t)][0] // {}) as $e
		| @sh "spec=\(tojson) suite_shots=\($e.shots // 0) suite_limit=\($e.limit // -1)",
		  @sh "template=\(.template) data_name=\(.data) fewshot=\(.fewshot // "") mode=\(.mode) scorer=\(.scorer)",
		  @sh "has_draw=\((.draw // null) != null) has_fewshot_draw=\((.fewshot_draw // null) != null)",
		  @sh "extra=\(.fewshot_draw.extra // 0) group=\(.fewshot_draw.group // "") seed=\(.fewshot_draw.seed)",
		  @sh "has_coderun=\((.coderun_args // null) != null) max_tokens=\(.params.max_tokens // .max_tokens // 256)",
		  @sh "temperature=\(.params.temperature // 0)"' "$suites")
	[ -n "$vars" ] || ve_die 64 "no task '$task' in $suites"
	spec='' suite_shots='' suite_limit='' template='' data_name='' fewshot='' mode='' scorer=''
	has_draw='' has_fewshot_draw='' extra='' group='' seed='' has_coderun='' max_tokens='' temperature=''
	eval "$vars"
	n_shots=${shots:-$suite_shots}
	n_limit=${limit:-$suite_limit}
	dir=$out/$task
	[ "$shard_n" -gt 1 ] && dir=$out/$task-$shard_i
	mkdir -p "$dir" || exit 74
	# Not finished until the end, whatever an earlier try left.
	rm -f "$dir/done.json" || ve_die 74 "$task: cannot remove $dir/done.json"
	template=$VLLM_EVAL_SHARE/$template
	datafile=$data/$(basename "$data_name")
	[ -r "$datafile" ] || ve_die 66 "$task: $datafile: cannot read"
	fewfile=''
	[ -n "$fewshot" ] && fewfile=$data/$(basename "$fewshot")
	task_version "$task" "$spec" "$template" "$n_shots" "$n_limit" "$datafile" ${fewfile:+"$fewfile"} > "$dir/version.json" ||
		ve_die 74 "$task: cannot write $dir/version.json"
	ve_audit run-benchmarks task-version "$(cat "$dir/version.json")"
	# Python's random draws a template needs are spliced into the data first
	# by ds-draw(1): spec.draw, ds-draw's arguments (GPQA's shuffled
	# answers); then spec.fewshot_draw, lm-eval's few-shot draw: one
	# random.Random(SEED) for the task, sample(few-shot pool, shots + extra)
	# for each document in order, into "_fewshot" (none at 0 shots, where lm-eval
	# draws nothing). The pool is counted as the template's --slurpfile
	# reads it. With fewshot_draw.group (a jq expression: KMMLU's .Category)
	# each group is a task of its own, as lm-eval's subtasks are: its own
	# random.Random(SEED), its pool the few-shot records of that group. The
	# limit is the template's: the first documents' draws are the same with
	# it or without, as in lm-eval.
	src=$datafile
	if [ "$has_draw" = true ]; then
		eval "set -- $(words '.draw[]')"
		ds-draw -q "$@" "$src" > "$dir/drawn.jsonl" || ve_die 65 "$task: ds-draw $* $src failed"
		src=$dir/drawn.jsonl
	fi
	if [ "$has_fewshot_draw" = true ] && [ "$n_shots" -gt 0 ]; then
		[ -n "$fewfile" ] || ve_die 64 "$task: a fewshot_draw needs a fewshot file in $suites"
		pool=$(jq -n '[inputs] | length' "$fewfile") || ve_die 65 "$task: $fewfile: cannot read its records"
		# extra: the draws lm-eval makes beyond the shots (HellaSwag's 1: it
		# draws one more and the template drops the document if drawn).
		if [ "$extra" -eq 0 ]; then
			[ "$n_shots" -le "$pool" ] || ve_die 65 "$task: shots: $n_shots asked, $pool in $fewfile"
		else
			[ $((n_shots + extra)) -le "$pool" ] ||
				ve_die 65 "$task: shots: $n_shots asked and $extra more drawn, $pool in $fewfile"
		fi
		if [ -n "$group" ]; then
			counts=$(jq -sc "group_by($group) | map({key: (.[0] | $group | tostring), value: length}) | from_entries" \
				"$fewfile") || ve_die 65 "$task: $fewfile: cannot group its records by $group"
			set -- --sample $((n_shots + extra)) --group "$group" --population-of "${counts}[($group) | tostring] // 0"
		else
			set -- --sample $((n_shots + extra)) --population "$pool"
		fi
		set -- "$@" --seed "$seed" --field _fewshot
		ds-draw -q "$@" "$src" > "$dir/shots.jsonl" || ve_die 65 "$task: ds-draw $* $src failed"
		[ "$src" = "$datafile" ] || rm -f "$src"
		src=$dir/shots.jsonl
	fi
	# The template's own arguments, then shots, limit and the few-shot pool.
	eval "set -- $(words '.args // {} | to_entries[] | "--argjson", .key, (.value | tojson)')"
	set -- "$@" --argjson shots "$n_shots" --argjson limit "$n_limit"
	[ -n "$fewshot" ] && set -- "$@" --slurpfile fewshot "$fewfile"
	# Shards split by document: every choice of a question stays together.
	# The template's status counts (sh has no pipefail): render, then shard.
	jq -nc -f "$template" "$@" "$src" > "$dir/rendered.jsonl" ||
		ve_die 65 "$task: cannot render $datafile with $template"
	[ "$src" = "$datafile" ] || rm -f "$src"
	jq -c --argjson i "$shard_i" --argjson n "$shard_n" \
		'select(($n == 1) or ((.doc_id | explode | add) % $n == $i))' "$dir/rendered.jsonl" \
		> "$dir/requests.jsonl" || ve_die 74 "$task: cannot write $dir/requests.jsonl"
	rm -f "$dir/rendered.jsonl"
	if [ "$shard_n" -gt 1 ] && [ ! -s "$dir/requests.jsonl" ]; then
		# More shards than documents: this one has none, and is done.
		rm -f "$dir/raw.jsonl" "$dir/graded.jsonl" "$dir/metrics.jsonl" "$dir/items.jsonl"
		finish "$task" "$dir"
		continue
	fi
	set -- -q -e "$endpoint" --retries "${LLM_RETRIES:-3}" -c "$conc" -o "$dir/raw.jsonl" --resume
	if [ "$mode" = ll ]; then
		ve_step "llm-query:$task" llm-query "$@" --loglikelihood \
			--prefix-token "${PREFIX_TOKEN:-<|endoftext|>}" \
			--id '"\(.doc_id)#\(.choice)"' "$dir/requests.jsonl"
	else
		# The task's generation parameters (spec.params: max_tokens, lm-eval's
		# 256 when unset, temperature, stop strings), and its input: chat
		# messages when its records carry them, else a completions prompt.
		set -- "$@" --max-tokens "$max_tokens" --temperature "$temperature"
		# The stop strings whole: HumanEval's begin with a newline ("\nclass").
		eval "set -- \"\$@\" $(words '(.params.stop // [])[] | "--stop", .')"
		# A record's own .request (Evalchemy's seeded samples) is sent as it is.
		first=$(head -n 1 "$dir/requests.jsonl")
		if printf '%s' "$first" | jq -e 'has("request")' >/dev/null 2>&1; then
			chat=$(printf '%s' "$first" | jq -r '.request | has("messages")')
		elif printf '%s' "$first" | jq -e 'has("messages")' >/dev/null 2>&1; then
			set -- "$@" --messages .messages
			chat=true
		else
			set -- "$@" -p .prompt
			chat=false
		fi
		[ "$chat" = true ] && [ -n "${CHAT_TEMPLATE_KWARGS:-}" ] &&
			set -- "$@" --chat-template-kwargs "$CHAT_TEMPLATE_KWARGS"
		# Streamed: a reasoning model's 32k-token reply takes minutes, so the
		# timeout bounds the silences, and the stream its own whole.
		ve_step "llm-query:$task" llm-query "$@" --stream \
			--timeout "${LLM_TIMEOUT:-300}" --stream-timeout "${STREAM_TIMEOUT:-3600}" \
			--id '"\(.doc_id)#\(.sample // 0)"' "$dir/requests.jsonl"
	fi
	rc=$?
	[ $rc -eq 69 ] && failed_requests "$task" "$dir/raw.jsonl"
	[ $rc -eq 0 ] || ve_die $rc "$task: llm-query failed (exit $rc)"
	# A code task's programs run in code-run's sandbox (spec.coderun_args:
	# its --format; CODE_RUN_JOBS tests at once, default the CPUs), its
	# verdicts spliced into graded.jsonl, which is what is scored; an old
	# graded.jsonl goes first, so answers added by --resume are never scored
	# without verdicts. The programs run on Debian's python3 (/usr/bin first
	# in PATH), which code-run's unprivileged user can run.
	scored=$dir/raw.jsonl
	if [ "$has_coderun" = true ]; then
		rm -f "$dir/graded.jsonl"
		eval "set -- $(words '.coderun_args[]')"
		[ -n "${CODE_RUN_JOBS:-}" ] && set -- "$@" -j "$CODE_RUN_JOBS"
		ve_step "code-run:$task" env PATH="/usr/bin:/bin:$PATH" code-run -q "$@" "$dir/raw.jsonl" \
			> "$dir/graded.jsonl.part" || ve_die $? "$task: code-run failed"
		mv "$dir/graded.jsonl.part" "$dir/graded.jsonl" || ve_die 74 "$task: cannot write $dir/graded.jsonl"
		scored=$dir/graded.jsonl
	fi
	if [ "$scorer" = score-mcq ]; then
		ve_step "score:$task" score-mcq -q -t "$task" -i "$dir/items.jsonl" \
			--task-version "$version" --task-inputs "$parts" "$scored" > "$dir/metrics.jsonl"
	else
		# The scorer's own arguments (spec.scorer_args: metrics, filters).
		eval "set -- $(words '(.scorer_args // [])[]')"
		[ "${THINK_IN_PROMPT:-}" = 1 ] && set -- "$@" --think-in-prompt
		ve_step "score:$task" score-gen -q -t "$task" -i "$dir/items.jsonl" \
			--task-version "$version" --task-inputs "$parts" "$@" \
			"$scored" > "$dir/metrics.jsonl"
	fi
	rc=$?
	[ $rc -eq 0 ] || ve_die $rc "$task: $scorer failed (exit $rc)"
	if [ ! -s "$dir/metrics.jsonl" ]; then
		echo "$prog: $task: no metric rows: the task produced no results" >&2
		failed=$((failed + 1))
		continue
	fi
	finish "$task" "$dir"
done
[ $failed -eq 0 ] || ve_die 65 "$failed task(s) produced no results"
exit 0
