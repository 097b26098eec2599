#!/usr/bin/env bats
# The Argo manifests, the Sensor's tag filter and the container image recipe,
# checked offline: JSON-schema validation (tests/schemas), the fields the
# pipeline relies on by name (the schemas do not catch a misspelled field),
# and the filter applied to sample GHCR webhook payloads as Argo Events does.

bats_require_minimum_version 1.5.0
load helper

ARGO="$VE_ROOT/pipelines/argo"

setup() {
	setup_scratch
	export VE_SCHEMAS="${VE_SCHEMAS:-$VE_ROOT/tests/schemas}"
}

# doc FILE KIND: the JSON of the first document of that kind in FILE
doc() {
	python3 "$VE_ROOT/tests/yaml2json.py" "$1" | jq -c --arg k "$2" 'select(.kind == $k)' | head -1
}

payload() {
	jq --arg t "$1" '.package.package_version.container_metadata.tag.name = $t' \
		"$FIX/ghcr/package-published.json" > "payload-$1.json"
	python3 "$VE_ROOT/tests/argo-check.py" filter "${2:-$ARGO/sensor.yaml}" "payload-$1.json"
}

@test "argo: every manifest validates against its Argo schema" {
	run --separate-stderr python3 "$VE_ROOT/tests/argo-check.py" validate "$ARGO"/*.yaml
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(cat <<EOF
$ARGO/cronworkflow.yaml: CronWorkflow regression-set-refresh: ok
$ARGO/eventsource.yaml: EventSource ghcr: ok
$ARGO/sensor.yaml: Sensor vllm-release: ok
$ARGO/workflowtemplate.yaml: WorkflowTemplate release-eval: ok
EOF
)"
}

@test "argo: the validator rejects a manifest of the wrong shape" {
	sed 's/^  dependencies:/  dependencies: 7\n  x:/' "$ARGO/sensor.yaml" > bad.yaml
	run --separate-stderr python3 "$VE_ROOT/tests/argo-check.py" validate bad.yaml
	assert_failure 1
	assert_output --partial "bad.yaml: Sensor vllm-release: spec/dependencies: 7 is not of type 'array'"
}

@test "argo: the Sensor fires for release-* tags and nothing else" {
	for t in release-1.4.0 release-2.0.0-rc1; do
		run payload "$t"
		assert_output fire
	done
	for t in prerelease-1 latest release- v1.0-release-2 RELEASE-1 release; do
		run payload "$t"
		assert_output skip
	done
}

@test "argo: an unanchored filter would fire on prerelease-1 (the check can fail)" {
	sed 's/"\^release-\.+\$"/"release-.+"/' "$ARGO/sensor.yaml" > loose.yaml
	run payload prerelease-1 loose.yaml
	assert_output fire
	run payload v1.0-release-2 loose.yaml
	assert_output fire
}

@test "argo: the Sensor filters the tag path and names the workflow after the tag" {
	s=$(doc "$ARGO/sensor.yaml" Sensor)
	run jq -r '.spec.dependencies[0].filters.data[0] | "\(.path) \(.type) \(.value | join(","))"' <<<"$s"
	assert_output 'body.package.package_version.container_metadata.tag.name string ^release-.+$'
	run jq -r '.spec.triggers[0].template.argoWorkflow | "\(.operation) \(.source.resource.spec.workflowTemplateRef.name)"' <<<"$s"
	assert_output 'submit release-eval'
	run jq -r '.spec.triggers[0].template.argoWorkflow.parameters[] | select(.dest == "metadata.name") | .src.dataTemplate' <<<"$s"
	assert_output --partial 'release-eval-{{ .Input.body.package.package_version.container_metadata.tag.name'
	run jq -r '.spec.template.serviceAccountName' <<<"$s"
	assert_output vllm-eval-sensor
}

@test "argo: the EventSource is GitHub's, verifies signatures, and takes package events" {
	e=$(doc "$ARGO/eventsource.yaml" EventSource)
	run jq -r '.spec.github[] | "\(.events | join(",")) \(.webhookSecret.name)/\(.webhookSecret.key) insecure=\(.insecure)"' <<<"$e"
	assert_output 'package github-webhook/secret insecure=false'
	run jq -r '.spec.github | keys[0]' <<<"$e"
	assert_output "$(doc "$ARGO/sensor.yaml" Sensor | jq -r '.spec.dependencies[0].eventName')"
}

@test "argo: the DAG runs prepare, then the runners, then aggregate" {
	w=$(doc "$ARGO/workflowtemplate.yaml" WorkflowTemplate)
	run jq -r '.spec.templates[] | select(.name == "release-eval") | .dag.tasks[] | "\(.name) <- \((.dependencies // []) | join(","))"' <<<"$w"
	assert_output "$(cat <<EOF
prepare-dataset <- 
evalchemy-runner <- prepare-dataset
deepeval-runner <- prepare-dataset
perf-bench <- prepare-dataset
aggregate-metrics <- evalchemy-runner,deepeval-runner,perf-bench
EOF
)"
	run jq -r '.spec.templates[] | select(.name == "release-eval") | .dag.tasks[] | select(.name == "evalchemy-runner") | .withParam' <<<"$w"
	assert_output '{{tasks.prepare-dataset.outputs.parameters.shards}}'
}

@test "argo: the fan-out's width is the shards parameter (default 2): prepare-dataset plans it, each pod runs its task and shard of the suite, aggregate checks the suite" {
	w=$ARGO/workflowtemplate.yaml
	run jq -r '.spec.arguments.parameters[] | select(.name == "suite" or .name == "shards") | "\(.name)=\(.value)"' \
		<<<"$(doc "$w" WorkflowTemplate)"
	assert_output "$(printf 'suite=standard\nshards=2')"
	# The defaults (the standard suite's 4 tasks × 2), then other settings.
	for setting in "standard 2 8" "quick 3 9"; do
		read -r suite n pods <<<"$setting"
		set -- model-tag=release-1.4.0
		[ "$suite" = standard ] || set -- "$@" suite="$suite" shards="$n"
		run -0 --separate-stderr python3 "$VE_ROOT/tests/argo-check.py" pod "$w" prepare-dataset "$@"
		prep=$output
		assert_equal "$(jq -r '"\(.env.SUITE) \(.env.SHARDS)"' <<<"$prep")" "$suite $n"
		# The step's plan as its script makes it (the part after
		# prepare-dataset.sh), into the file its output parameter is read from.
		script=$(jq -r '.args[0]' <<<"$prep")
		out=$(jq -r '.outputs.shards' <<<"$prep")
		assert_equal "${script#*&& }" "plan-shards.sh \"\$SUITE\" \"\$SHARDS\" > $out"
		plan=${script#*&& }
		SUITE=$suite SHARDS=$n PATH="$VE_ROOT/pipelines:$PATH" run -0 sh -c "${plan% > *}"
		items=$output
		assert_equal "$(jq length <<<"$items")" "$pods"
		# Each withParam item's pod: run-benchmarks.sh of its task and shard,
		# with the suite's shots and limit.
		while read -r item; do
			run -0 --separate-stderr python3 "$VE_ROOT/tests/argo-check.py" pod "$w" evalchemy-runner "$@" --item "$item"
			assert_equal "$(jq -r '.command + .args | join(" ")' <<<"$output")" \
				"$(jq -r --arg s "$suite" '"run-benchmarks.sh --suite \($s) --task \(.task) --shard \(.shard) --data /work/data --out /logs/WORKFLOW/bench"' <<<"$item")"
		done < <(jq -c '.[]' <<<"$items")
		# ... against its own vLLM sidecar, once that has loaded the model.
		assert_equal "$(jq -r '"\(.env.MODEL_ENDPOINT) \(.env.ENDPOINT_WAIT)"' <<<"$output")" "http://127.0.0.1:8000 1200"
		run -0 --separate-stderr python3 "$VE_ROOT/tests/argo-check.py" pod "$w" aggregate-metrics "$@"
		assert_equal "$(jq -r '.command + .args | join(" ")' <<<"$output")" \
			"aggregate.sh --logs /logs/WORKFLOW --suite $suite --audit-s3 s3://vllm-eval-audit/WORKFLOW/audit.jsonl"
	done
	# A parameter that no step has a value for is named.
	run -1 --separate-stderr python3 "$VE_ROOT/tests/argo-check.py" pod "$w" evalchemy-runner model-tag=release-1.4.0
	assert_equal "$stderr" "argo-check.py: evalchemy-runner: {{item.task}} has no value"
}

@test "argo: every pod that writes audit lines writes a file of its own in the run directory, and aggregate-metrics merges them all into audit.jsonl" {
	w=$ARGO/workflowtemplate.yaml
	set -- model-tag=release-1.4.0 shards=3
	# Every pod of the run: the fan-out's (the plan of the standard suite
	# in 3 shards, as prepare-dataset makes it), then the other steps.
	items=$(PATH="$VE_ROOT/pipelines:$PATH" plan-shards.sh standard 3)
	assert_equal "$(jq length <<<"$items")" 12
	: > pods
	while read -r item; do
		python3 "$VE_ROOT/tests/argo-check.py" pod "$w" evalchemy-runner "$@" --item "$item" >> pods
	done < <(jq -c '.[]' <<<"$items")
	for step in prepare-dataset deepeval-runner perf-bench aggregate-metrics; do
		python3 "$VE_ROOT/tests/argo-check.py" pod "$w" "$step" "$@" >> pods
	done
	assert_equal "$(wc -l < pods)" 16
	# No variable that nothing reads.
	assert_equal "$(jq -r '.env | keys[] | select(. == "LOG_DIR")' pods)" ""
	# A pod writes audit lines when its script does (common.sh's ve_audit):
	# each of those has AUDIT_LOG, a file directly under RUN_DIR/audit/ (its
	# RUN_DIR, or aggregate's --logs), no two pods the same; the others none.
	while read -r p; do
		script=$(jq -r '.command[0]' <<<"$p")
		[ "$script" != sh ] || script=$(jq -r '.args[0] | split(" ")[0]' <<<"$p")
		dir=$(jq -r '.env.RUN_DIR // (.args as $a | $a | index("--logs") as $i | if $i then $a[$i + 1] else "" end)' <<<"$p")
		log=$(jq -r '.env.AUDIT_LOG // ""' <<<"$p")
		if grep -qE 've_(audit|own_step|init_run)' "$VE_ROOT/pipelines/$script"; then
			[ "$dir" = /logs/WORKFLOW ] || fail "$script: its run directory is '$dir', not /logs/WORKFLOW"
			case ${log#"$dir/audit/"} in
			"$log" | */* | .jsonl | *[!A-Za-z0-9._-]*) fail "$script: AUDIT_LOG '$log' is not a file of $dir/audit/" ;;
			*.jsonl) ;;
			*) fail "$script: AUDIT_LOG '$log' is not a .jsonl file" ;;
			esac
			echo "$log" >> audit-logs
		else
			assert_equal "$script:$log:$dir" "$script::"
		fi
	done < pods
	assert_equal "$(wc -l < audit-logs)" 15
	assert_equal "$(sort audit-logs | uniq -d)" ""
	assert_equal "$(sed -n '1p;3p;15p' audit-logs)" "$(printf '%s\n' /logs/WORKFLOW/audit/evalchemy-runner-arc_challenge-0of3.jsonl \
		/logs/WORKFLOW/audit/evalchemy-runner-arc_challenge-2of3.jsonl /logs/WORKFLOW/audit/aggregate-metrics.jsonl)"
	# Each pod's line in its file (/logs here under $T), then aggregate-metrics
	# as it runs (its pod's arguments and environment, no results yet: exit
	# 65 once it has merged them): audit.jsonl has every pod's line.
	i=0
	while read -r log; do
		i=$((i + 1))
		mkdir -p "$T$(dirname "$log")"
		jq -nc --arg i "$i" '{ts: "2026-01-01T00:00:00Z", stage: "pod\($i)", event: "start"}' > "$T$log"
	done < audit-logs
	agg=$(tail -n 1 pods)
	mapfile -t args < <(jq -r '.args[]' <<<"$agg" | sed "s#^/logs/#$T/logs/#")
	AUDIT_LOG=$T$(jq -r .env.AUDIT_LOG <<<"$agg") RUN_ID=WORKFLOW MODEL_TAG=release-1.4.0 \
		run -65 --separate-stderr "$VE_ROOT/pipelines/$(jq -r '.command[0]' <<<"$agg")" "${args[@]}"
	assert_equal "$stderr" "aggregate.sh: no results for task(s): arc_challenge hellaswag mmlu gsm8k (suite standard)"
	assert_equal "$(jq -r 'select(.ts == "2026-01-01T00:00:00Z") | .stage' "$T/logs/WORKFLOW/audit.jsonl" | sort)" \
		"$(seq 1 15 | sed 's/^/pod/' | sort)"
}

@test "argo: every pod with a vLLM sidecar sends to it, and its script waits for the sidecar's /health (ENDPOINT_WAIT)" {
	w=$ARGO/workflowtemplate.yaml
	run jq -r '.spec.templates[] | select(.sidecars) | .name' <<<"$(doc "$w" WorkflowTemplate)"
	assert_output "$(printf '%s\n' evalchemy-runner perf-bench)"
	for step in $output; do
		p=$(python3 "$VE_ROOT/tests/argo-check.py" pod "$w" "$step" model-tag=release-1.4.0 --item '{"task":"mmlu","shard":"0/2"}')
		assert_equal "$step $(jq -r '"\(.env.MODEL_ENDPOINT) \(.env.ENDPOINT_WAIT)"' <<<"$p")" "$step http://127.0.0.1:8000 1200"
		grep -q '^ve_wait_endpoint ' "$VE_ROOT/pipelines/$(jq -r '.command[0]' <<<"$p")" ||
			fail "$step: its script does not call ve_wait_endpoint"
	done
}

@test "argo: benchmark steps have deadlines of at most an hour and retry on exit 75" {
	w=$(doc "$ARGO/workflowtemplate.yaml" WorkflowTemplate)
	run jq -r '.spec.templates[] | select(.container) | "\(.name) \(.activeDeadlineSeconds) \(.retryStrategy.expression)"' <<<"$w"
	assert_output "$(cat <<EOF
prepare-dataset 1800 asInt(lastRetry.exitCode) == 75
evalchemy-runner 3600 asInt(lastRetry.exitCode) == 75
deepeval-runner 3600 asInt(lastRetry.exitCode) == 75
perf-bench 3600 asInt(lastRetry.exitCode) == 75
aggregate-metrics 1800 asInt(lastRetry.exitCode) == 75
EOF
)"
}

@test "argo: GPU pods get the high PriorityClass, CPU pods do not ask for GPUs" {
	w=$(doc "$ARGO/workflowtemplate.yaml" WorkflowTemplate)
	run jq -r '.spec.templates[] | select(.container) | "\(.name) \(.priorityClassName // "-") \([.sidecars[]?.resources.limits["nvidia.com/gpu"]] | join(","))"' <<<"$w"
	assert_output "$(cat <<EOF
prepare-dataset - 
evalchemy-runner vllm-eval-gpu 1
deepeval-runner - 
perf-bench vllm-eval-gpu 1
aggregate-metrics - 
EOF
)"
	run jq -r 'select(.kind == "PriorityClass") | "\(.metadata.name) \(.value) \(.globalDefault)"' < <(python3 "$VE_ROOT/tests/yaml2json.py" "$ARGO/cluster.yaml")
	assert_output 'vllm-eval-gpu 100000 false'
}

@test "argo: every tools container runs unprivileged: non-root, no escalation, no capabilities, RuntimeDefault seccomp" {
	# code-run runs model-written programs in evalchemy-runner's pod; its
	# sandbox needs no privilege, and the pod grants none.
	w=$(doc "$ARGO/workflowtemplate.yaml" WorkflowTemplate)
	run jq -r '.spec.templates[] | select(.container) | "\(.name) \(.container.securityContext
		| [.runAsNonRoot, .runAsUser, .allowPrivilegeEscalation, (.capabilities.drop | join(",")), .seccompProfile.type]
		| map(tostring) | join(" "))"' <<<"$w"
	assert_output "$(cat <<EOF
prepare-dataset true 10001 false ALL RuntimeDefault
evalchemy-runner true 10001 false ALL RuntimeDefault
deepeval-runner true 10001 false ALL RuntimeDefault
perf-bench true 10001 false ALL RuntimeDefault
aggregate-metrics true 10001 false ALL RuntimeDefault
EOF
)"
}

@test "argo: secrets come from ExternalSecrets, and every secret a pod uses is one" {
	made=$(python3 "$VE_ROOT/tests/yaml2json.py" "$ARGO/externalsecrets.yaml" | jq -r 'select(.kind == "ExternalSecret") | .spec.target.name' | sort -u)
	for s in $(grep -ohE 'secretKeyRef: \{name: [a-z0-9-]+' "$ARGO"/*.yaml | awk '{print $3}' | sort -u) \
		vllm-eval-anon github-webhook github-access; do
		grep -qx "$s" <<<"$made" || fail "secret $s is used but no ExternalSecret makes it"
	done
	run grep -nE '(password|token|secret-access-key): +[^{ ]' "$ARGO"/*.yaml
	assert_failure 1
}

@test "argo: RBAC grants only what the workflow and the sensor need" {
	rules=$(python3 "$VE_ROOT/tests/yaml2json.py" "$ARGO/rbac.yaml" | jq -c 'select(.kind == "Role") | {n: .metadata.name, r: .rules}')
	assert_equal "$rules" "$(cat <<EOF
{"n":"vllm-eval-workflow","r":[{"apiGroups":["argoproj.io"],"resources":["workflowtaskresults"],"verbs":["create","patch"]}]}
{"n":"vllm-eval-sensor","r":[{"apiGroups":["argoproj.io"],"resources":["workflows"],"verbs":["create","get"]},{"apiGroups":["argoproj.io"],"resources":["workflowtemplates"],"verbs":["get"]}]}
EOF
)"
}

@test "argo: the daily CronWorkflow refreshes the regression set and prunes old logs" {
	c=$(doc "$ARGO/cronworkflow.yaml" CronWorkflow)
	run jq -r '"\(.spec.schedules | join(",")) \(.spec.concurrencyPolicy)"' <<<"$c"
	assert_output '0 3 * * * Forbid'
	run jq -r '.spec.workflowSpec.templates[] | select(.container) | "\(.name) \(.container.command | join(" ")) \(.container.args // [] | join(" "))"' <<<"$c"
	assert_line --index 0 'refresh-regression-set refresh-regression-set.sh '
	assert_line --index 1 --partial 'prune-logs sh -c find /logs -mindepth 1 -maxdepth 1 -mtime +7'
}

@test "argo: every script a step runs is in pipelines/" {
	for f in workflowtemplate cronworkflow; do
		for s in $(python3 "$VE_ROOT/tests/yaml2json.py" "$ARGO/$f.yaml" |
			jq -r '.. | objects | select(has("command")) | .command[]' | grep '\.sh$'); do
			[ -e "$VE_ROOT/pipelines/$s" ] || fail "$f runs $s, which pipelines/ does not have"
		done
	done
}

@test "argo: the image is a multi-stage bookworm-slim build run as non-root" {
	run grep -cE '^FROM debian:bookworm-slim' "$VE_ROOT/pipelines/Dockerfile"
	assert_output 2
	run grep -E '^USER ' "$VE_ROOT/pipelines/Dockerfile"
	assert_output 'USER 10001'
	grep -q 'make install DESTDIR=/out' "$VE_ROOT/pipelines/Dockerfile"
	grep -q 'install-deps.sh --runtime' "$VE_ROOT/pipelines/Dockerfile"
}
