#!/usr/bin/env bats
# report.sh: the HTML report of runs made by release-eval.sh against vllm-sim
# on loopback (a good release, then a degraded one, with a request-rate
# sweep), checked in its text and, where chromium starts, in a headless
# browser: no console errors, the injected markup inert, a screenshot of the
# degraded release saved as build/report-degraded.png.

bats_require_minimum_version 1.5.0
load helper
load fixtures/pipelines/common
# the fixture's setup (the answer key), kept under another name: this
# file's tests share the runs setup_file makes
eval "common_$(declare -f setup)"

# The two runs, once for the file: the plain rule judges against one run.
setup_file() {
	export VLLM_EVAL_SHARE="$VE_ROOT/share"
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR common_setup
	export REG_RULE=prd REG_MIN_RUNS=1
	local o=(-s quick --perf-prompts 3 --scenarios basic_performance,rate_sweep --no-judge)
	# (setup_file stops at the first failing command: the degraded run exits
	# 1; the simulator must not hold bats' fd 3 open)
	local rc=0
	start_sim --accuracy 1 --ttft-ms 5 --itl-ms 1 3>&-
	MODEL_TAG=release-1.0.0 RUN_ID=r1 "$P/release-eval.sh" "${o[@]}" > r1.out 2> r1.err || rc=$?
	echo $rc > r1.rc
	rc=0
	start_sim --accuracy 0.3 --ttft-ms 40 --itl-ms 6 3>&-
	MODEL_TAG=release-1.1.0 RUN_ID=r2 "$P/release-eval.sh" "${o[@]}" > r2.out 2> r2.err || rc=$?
	echo $rc > r2.rc
	teardown
}

setup() {
	T=$BATS_FILE_TMPDIR
	cd "$T" || return 1
	R=$T/runs
	SIM_PID=''
}

# chromium_or_skip: the browser, or the test skipped saying why.
chromium_or_skip() {
	command -v chromium >/dev/null 2>&1 ||
		skip "chromium is not installed (Debian: chromium); the browser checks did not run"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank > /dev/null 2>&1 ||
		skip "chromium cannot start here; the browser checks did not run"
}

# browse FILE: the rendered DOM on stdout, chromium's log in browse.log.
browse() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
		--virtual-time-budget=3000 --dump-dom "file://$1" 2> browse.log
}

@test "report: the runs wrote their reports; release-eval's summary says where" {
	assert_equal "$(cat r1.rc) $(cat r2.rc)" "0 1"
	[ -s "$R/r1/report.html" ]
	[ -s "$R/r2/report.html" ]
	run -0 grep -x "   report: $R/r2/report.html" r2.out
	run -1 grep 'report' r2.err
}

@test "report: the headline and the regression rows are the verdicts'" {
	local f=$R/r2/report.html
	n=$(jq -r 'select(.metric == "release") | .regressions' "$R/r2/verdicts.jsonl")
	[ "$n" -gt 0 ]
	run -0 grep -o '<h1 id="headline">[^<]*</h1>' "$f"
	assert_output "<h1 id=\"headline\">release-1.1.0: $n regression(s)</h1>"
	run -0 grep -o '<dd id="run-id">[^<]*' "$f"
	assert_output '<dd id="run-id">r2'
	# the metric table: the regression rows first, in reg-check's order
	sed -n '/<table id="metric-table">/,/<\/table>/p' "$f" | grep -o '<tr class="[a-z_]*" data-metric="[^"]*"' |
		sed 's/<tr class="\([a-z_]*\)" data-metric="\([^"]*\)"/\1 \2/' > rows.txt
	jq -r 'select(.metric != "release" and .status == "regression") | "regression \(.metric)"' "$R/r2/verdicts.jsonl" > want.txt
	run -0 head -n "$(wc -l < want.txt)" rows.txt
	assert_output "$(cat want.txt)"
	assert_equal "$(wc -l < rows.txt)" "$(jq -n '[inputs | select(.metric != "release")] | length' "$R/r2/verdicts.jsonl")"
	# a passing release says so
	run -0 grep -o '<h1 id="headline">[^<]*</h1>' "$R/r1/report.html"
	assert_output '<h1 id="headline">release-1.0.0: passed</h1>'
}

@test "report: every chart is an inline SVG with its axes' labels and ticks" {
	local f=$R/r2/report.html
	# one trend chart per headline verdict row with a value, and the others
	trends=$(jq -n "$(sh -c ". '$P/common.sh'; printf '%s' \"\$ve_jq_headline\"")"'[inputs | headline | select(.value != null)] | length' "$R/r2/verdicts.jsonl")
	[ "$trends" -gt 5 ]
	run -0 grep -c '<figure class="chart" id="trend-' "$f"
	assert_output "$trends"
	for id in tasks cdf-basic_performance-ttft cdf-basic_performance-e2el sweep-rate_sweep; do
		grep -q "<figure class=\"chart\" id=\"$id\">" "$f"
	done
	# each figure holds one svg, with an x and a y label and numbered ticks
	awk '/<figure class="chart"/ { id = $0; svg = 0; lab = 0; tick = 0 }
		/^<svg role="img"/ { svg++ }
		/<text>(run \(oldest to this one\)|task|ttft \(ms\)|e2el \(ms\)|offered load \(requests\/s\))</ { lab++ }
		/<text>(value|accuracy|fraction of requests|throughput \(requests\/s\))</ { lab++ }
		/<text> *-?[0-9.]+<\/text>/ { tick++ }
		/<\/figure>/ { if (svg != 1 || lab < 2 || tick < 2) { print "bad " id; bad = 1 } n++ }
		END { print n " charts"; exit bad }' "$f" > charts.txt || { cat charts.txt; false; }
	assert_equal "$(cat charts.txt)" "$((trends + 4)) charts"
	# nothing is fetched: no external reference at all
	run -1 grep -E '(src|href)="(https?:|//)|<script|<link' "$f"
}

@test "report: the items that flipped from right to wrong, with prompt and answer" {
	n=$(jq -n --slurpfile b "$R/r1/items.jsonl" '([$b[] | select(.correct) | [.task, .doc_id, (.sample // 0)]]) as $r
		| [inputs | select(.correct == false) | select([.task, .doc_id, (.sample // 0)] as $k | $r | index([$k]))] | length' "$R/r2/items.jsonl")
	[ "$n" -gt 0 ]
	run -0 grep -o '<p id="flip-count">[^<]*' "$R/r2/report.html"
	assert_output "<p id=\"flip-count\">$n item(s) right in the baseline run r1 are wrong in this one$([ "$n" -gt 50 ] && echo '; the first 50:' || echo .)"
	assert_equal "$(grep -c '<tr class="flip">' "$R/r2/report.html")" "$((n > 50 ? 50 : n))"
	# the baseline run has no baseline to flip against
	run -0 grep -o '<p class="note">[^<]*' "$R/r1/report.html"
	assert_output '<p class="note">No baseline run with item rows to compare with.'
}

# inject DIR: the degraded run copied to DIR with markup in its model tag
# and in the answer of one flipped item.
inject() {
	cp -r "$R/r2" "$1"
	local s='<script>document.body.setAttribute("data-pwned","script")</script>'
	local i='"><img src=x onerror="document.body.setAttribute('\''data-pwned'\'','\''img'\'')">'
	jq -c --arg t "release-1.1.0$s$i" '.model_tag = $t' "$R/r2/verdicts.jsonl" > "$1/verdicts.jsonl"
	doc=$(jq -r 'select(.task == "mmlu" and .correct == false) | .doc_id' "$1/items.jsonl" | head -n 1)
	jq -c --arg d "$doc" --arg a "$s$i" 'if .doc_id == $d then .context = $a | .response.text = $a else . end' \
		"$R/r2/bench/mmlu/raw.jsonl" > "$1/bench/mmlu/raw.jsonl"
}

@test "report: markup in a tag and in an answer is escaped" {
	inject "$T/x1"
	run -0 "$P/report.sh" --runs-dir "$R" "$T/x1"
	assert_output "$T/x1/report.html"
	local f=$T/x1/report.html
	run -1 grep -F '<script' "$f"
	run -1 grep -F '<img' "$f"
	run -1 grep -F 'onerror="' "$f"
	run -0 grep -c -F '&lt;script&gt;document.body.setAttribute(&quot;data-pwned&quot;,&quot;script&quot;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=&quot;' "$f"
	# the headline, the title, the tag and the flipped item's prompt and answer
	[ "$output" -ge 4 ]
}

@test "report: in chromium, no console errors, nothing injected runs, and a screenshot of the degraded release" {
	chromium_or_skip
	inject "$T/x2"
	"$P/report.sh" --runs-dir "$R" "$T/x2" > /dev/null
	run -0 browse "$T/x2/report.html"
	dom=$output
	run -1 grep ':CONSOLE' browse.log
	# the page rendered: the headline and the charts
	assert_regex "$dom" '<h1 id="headline">release-1\.1\.0&lt;script&gt;.*: [0-9]+ regression\(s\)</h1>'
	[ "$(grep -c '<svg role="img"' <<< "$dom")" -gt 5 ]
	# the injection made no element, and its script did not run
	run -1 grep -E '<img|<script|data-pwned="' <<< "$dom"
	# the check sees a console error where there is one: markup that the
	# page's policy blocks
	printf '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src '\''none'\''"><img src=x>' > control.html
	run -0 browse "$T/control.html"
	run -0 grep -c ':CONSOLE' browse.log
	mkdir -p "$VE_ROOT/build"
	rm -f "$VE_ROOT/build/report-degraded.png"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,2400 \
		--screenshot="$VE_ROOT/build/report-degraded.png" "file://$R/r2/report.html" > /dev/null 2>&1
	run -0 file -b "$VE_ROOT/build/report-degraded.png"
	assert_output --regexp '^PNG image data, 1280 x 2400'
}

@test "report: usage errors, a directory without verdicts, and a report that cannot be written leaves the verdict" {
	run --separate-stderr "$P/report.sh"
	assert_failure 64
	assert_equal "$stderr" "report.sh: give one run directory
Try 'report.sh --help' for more information."
	run --separate-stderr "$P/report.sh" --last 1 "$R/r2"
	assert_failure 64
	assert_equal "$stderr" "report.sh: --last must be a number above 1"
	mkdir empty
	run --separate-stderr "$P/report.sh" empty
	assert_failure 66
	assert_equal "$stderr" "report.sh: empty/verdicts.jsonl: no verdicts (is empty a run directory?)"
	# aggregate.sh again on a copy whose report.html is a directory: the
	# verdict (1, a regression) and the data stand, the warning says why
	cp -r "$R" runs2
	rm -f runs2/r2/report.html
	mkdir runs2/r2/report.html
	RUNS_DIR=$T/runs2 MODEL_TAG=release-1.1.0 run --separate-stderr "$P/aggregate.sh" -d "$T/runs2/r2" -s quick
	assert_failure 1
	run -0 grep -c -x 'aggregate.sh: warning: the HTML report was not written (report.sh failed); the verdicts stand' <<< "$stderr"
	run -0 grep -c 'report.sh: .*report.html: cannot write the report' <<< "$stderr"
	run -0 jq -r 'select(.metric == "release") | .status' runs2/r2/verdicts.jsonl
	assert_output regression
}
