#!/bin/sh
# report.sh — a run's report as one self-contained HTML file: the release
# verdict, the metric table against the baseline (regressions first), a trend
# chart per headline metric over the history, each task's accuracy with its
# stderr, each serving scenario's latency percentiles and CDF against the
# baseline run, the request-rate sweep, and the items that flipped from right
# to wrong. It shows what the run's files say (verdicts.jsonl, metrics.jsonl,
# history.jsonl, items.jsonl, audit.jsonl, perf/*/raw.jsonl, bench/*/raw.jsonl)
# and draws the charts with gnuplot's SVG terminal, inlined: nothing is
# fetched when the file is opened. Every string from a model, a dataset or a
# tag is HTML-escaped (jq's @html); gnuplot is given numbers, fixed labels
# and names of [a-z0-9_.] only. aggregate.sh writes RUN_DIR/report.html at
# the end of every run.
set -u
prog=report.sh
# shellcheck source=pipelines/common.sh
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: $prog [-o FILE] [--runs-dir DIR] [--last N] RUN_DIR

Write the run's report, one HTML file with its charts inline.

  -o, --output FILE   where (default RUN_DIR/report.html)
      --runs-dir DIR  where the baseline runs' directories are (default the
                      directory above RUN_DIR)
      --last N        runs in each trend chart, this one included (default 10)
  -h, --help          this help

Environment: WORKFLOW_URL (the Argo workflow) and GRAFANA_URL (the
dashboard) are linked when set.

Exit: 0 written, 64 usage, 66 RUN_DIR has no verdicts.jsonl, 70 gnuplot
failed, 73 the report cannot be written.
USAGE
}

out='' runs_dir='' last=10
while [ $# -gt 0 ]; do
	case $1 in
	-o | --output) out=${2?}; shift ;;
	--runs-dir) runs_dir=${2?}; shift ;;
	--last) last=${2?}; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "$prog: unknown argument '$1'" >&2; echo "Try '$prog --help' for more information." >&2; exit 64 ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || { echo "$prog: give one run directory" >&2; echo "Try '$prog --help' for more information." >&2; exit 64; }
case $last in '' | *[!0-9]* | 0 | 1) echo "$prog: --last must be a number above 1" >&2; exit 64 ;; esac
d=${1%/}
[ -s "$d/verdicts.jsonl" ] || { echo "$prog: $d/verdicts.jsonl: no verdicts (is $d a run directory?)" >&2; exit 66; }
out=${out:-$d/report.html}
runs_dir=${runs_dir:-$(dirname "$d")}
command -v gnuplot >/dev/null 2>&1 || { echo "$prog: gnuplot is not installed (Debian: gnuplot-nox)" >&2; exit 70; }

tmp=$(mktemp -d) || exit 73
trap 'rm -rf "$tmp"' EXIT INT TERM

# The files the report reads, each possibly absent (an empty one stands in).
for f in metrics history items audit; do
	if [ -s "$d/$f.jsonl" ]; then ln -s "$(cd "$d" && pwd)/$f.jsonl" "$tmp/$f.jsonl"; else : > "$tmp/$f.jsonl"; fi
done
v=$d/verdicts.jsonl
# The baseline runs reg-check paired with, newest first (the audit log's;
# else the history's runs, newest first).
bases=$(jq -r 'select(.stage == "reg-check" and .event == "verdicts") | .baseline_runs[]?' "$tmp/audit.jsonl" | tail -n 20)
[ -n "$bases" ] || bases=$(jq -rn '[inputs | {run_id, ts: (.ts // "")}] | group_by(.run_id) | map(max_by(.ts))
	| sort_by([.ts, .run_id]) | reverse | .[].run_id // empty' "$tmp/history.jsonl")

# base_file FILE: the newest baseline run's FILE (a path in its directory)
# that exists: the run the items and the requests are compared with. Item
# rows read from ClickHouse lie in RUN_DIR as items.baseline.RUN.jsonl.
base_file() {
	for b in $bases; do
		case $b in .* | -* | *[!A-Za-z0-9._-]*) continue ;; esac
		if [ "$1" = items.jsonl ] && [ -s "$d/items.baseline.$b.jsonl" ]; then
			printf '%s\n' "$d/items.baseline.$b.jsonl"
			return 0
		fi
		[ -s "$runs_dir/$b/$1" ] && { printf '%s\n' "$runs_dir/$b/$1"; return 0; }
	done
	return 1
}

# jq definitions the sections share: numbers as the terminal summary rounds
# them, a change in %, a row's name with its subset or scenario, and the
# class of a status (a fixed word, never the data's).
# shellcheck disable=SC2016
defs='def r3: if . == null then "-" else . * 1000 | round / 1000 | tostring end;
	def pct: if . == null then "-" else "\(. * 10 | round / 10)%" end;
	def name: .metric + (if (.labels.subset // "all") != "all" then " [\(.labels.subset)]" else "" end);
	def cls: if IN("ok", "regression", "improvement", "new", "insufficient_history", "missing", "incomparable")
		then . else "other" end;
	def rank: {"regression": 0, "missing": 1, "incomparable": 2, "improvement": 3, "new": 4,
		"insufficient_history": 5, "ok": 6}[.] // 7;
	def e: tostring | @html; '

# html_head: the document's head and its style sheet. The policy forbids
# every script and every fetch: the file shows the same offline and cannot
# run anything, whatever a model wrote.
html_head() {
	jq -rn --slurpfile r "$v" "$defs"'($r | map(select(.metric == "release")) | first // {}) as $rel
		| ($r | map(select(.metric != "release")) | first // {}) as $any
		| "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">",
		  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src '\''none'\''; style-src '\''unsafe-inline'\''; img-src data:\">",
		  "<title>vllm-eval report: \($rel.model_tag // $any.model_tag // "" | e) \($rel.run_id // $any.run_id // "" | e)</title>"'
	cat <<'STYLE'
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
main { max-width: 1200px; margin: 0 auto; padding: 1em 2em; }
h1 { font-size: 1.6em; margin: 0.3em 0; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
.verdict { padding: 0.8em 1em; border-radius: 6px; color: #fff; }
.verdict.ok { background: #2e7d32; } .verdict.regression { background: #c62828; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.regression td { background: #fde0e0; } tr.missing td { background: #fff0d0; }
tr.improvement td { background: #e3f4e3; } tr.incomparable td { background: #eee; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure.chart { margin: 0; background: #fff; border: 1px solid #ddd; padding: 4px; }
figure.chart figcaption { font-size: 12px; font-weight: 600; }
pre { white-space: pre-wrap; word-break: break-word; max-height: 12em; overflow: auto; margin: 0; font-size: 12px; }
.note { color: #555; }
</style>
</head>
<body>
<main>
STYLE
}

# section_verdict: the release verdict, the model tag, the run and its times.
section_verdict() {
	jq -rn --slurpfile r "$v" --slurpfile a "$tmp/audit.jsonl" "$defs"'
		($r | map(select(.metric == "release")) | first // null) as $rel
		| ($r | map(select(.metric != "release"))) as $rows
		| ([$rows[] | select(.status == "regression")] | length) as $nreg
		| (if $rel then $rel.status else (if $nreg > 0 then "regression" else "ok" end) end) as $st
		| ($rel.model_tag // $rows[0].model_tag // "") as $tag
		| ($rel.run_id // $rows[0].run_id // "") as $run
		| "<header class=\"verdict \($st | if . == "ok" then "ok" else "regression" end)\" id=\"verdict\">",
		  "<h1 id=\"headline\">\($tag | e): " + (if $st == "ok" then "passed"
			else "\($rel.regressions // $nreg) regression(s)" + (if ($rel.missing // 0) > 0 then ", \($rel.missing) missing" else "" end) end) + "</h1>",
		  (if $rel then "<div>release verdict \($st | e): \($rel.findings | length) finding(s) among \($rel.gated) gated metric(s) (rule \($rel.rule | e)"
			+ (if $rel.adjust then ", \($rel.adjust | e), alpha \($rel.alpha | e)" else "" end) + ")</div>" else empty end),
		  "</header>",
		  "<dl class=\"facts\">",
		  "<dt>model tag</dt><dd id=\"model-tag\">\($tag | e)</dd>",
		  "<dt>run</dt><dd id=\"run-id\">\($run | e)</dd>",
		  "<dt>started</dt><dd>\($a | map(.ts // empty) | min // "-" | e)</dd>",
		  "<dt>finished</dt><dd>\($a | map(.ts // empty) | max // "-" | e)</dd>",
		  "<dt>baseline runs</dt><dd>\($a | map(select(.stage == "reg-check" and .event == "verdicts") | .baseline_runs // []) | last // [] | map(e) | join(", ") | if . == "" then "-" else . end)</dd>",
		  "</dl>"'
}

# section_table: every verdict row, the release's findings first among them:
# regressions first, then missing, incomparable, improvements and the rest,
# in reg-check's order within each.
section_table() {
	printf '<h2 id="metrics">Metrics against the baseline</h2>\n'
	jq -rn --slurpfile r "$v" "$defs"'
		[$r[] | select(.metric != "release")] | to_entries | sort_by([(.value.status | rank), .key]) | map(.value)
		| "<details id=\"all-metrics\"\(if length <= 40 then " open" else "" end)><summary>\(length) verdict rows: \([.[] | select(.status == "regression")] | length) regression(s), \([.[] | select(.gates == true)] | length) gating</summary>",
		  "<table id=\"metric-table\"><thead><tr><th>metric</th><th>scenario</th><th>value</th><th>baseline</th><th>change</th><th>status</th><th>test</th><th>adjusted p</th><th>note</th></tr></thead><tbody>",
		  (.[] | "<tr class=\"\(.status | cls)\" data-metric=\"\(.metric | e)\"><td>\(name | e)</td><td>\(.labels.scenario // "" | e)</td>"
			+ "<td class=\"num\">\(.value | r3)</td><td class=\"num\">\(.baseline | r3)</td><td class=\"num\">\(.delta_pct | pct)</td>"
			+ "<td>\(.status | e)</td><td>\(.test // "-" | e)</td><td class=\"num\">\(.p_adjusted // "-" | e)</td>"
			+ "<td>\(if .gates == true then "gates" else (.note // "" | e) end)</td></tr>"),
		  "</tbody></table></details>"'
}

# section_findings: the release verdict's findings, the rows that decided it
# (folded when there are many, so the charts stay in view).
section_findings() {
	jq -rn --slurpfile r "$v" "$defs"'
		($r | map(select(.metric == "release")) | first // {}) | (.findings // []) | select(length > 0)
		| "<h2 id=\"findings\">Findings that decided the release</h2>",
		  "<details\(if length <= 20 then " open" else "" end)><summary>\(length) finding(s)</summary>",
		  "<table id=\"findings-table\"><thead><tr><th>metric</th><th>scenario</th><th>value</th><th>baseline</th><th>change</th><th>status</th><th>test</th><th>adjusted p</th></tr></thead><tbody>",
		  (.[] | "<tr class=\"\(.status | cls)\" data-metric=\"\(.metric | e)\"><td>\(name | e)</td><td>\(.labels.scenario // "" | e)</td>"
			+ "<td class=\"num\">\(.value | r3)</td><td class=\"num\">\(.baseline | r3)</td><td class=\"num\">\(.delta_pct | pct)</td>"
			+ "<td>\(.status | e)</td><td>\(.test // "-" | e)</td><td class=\"num\">\(.p_adjusted // "-" | e)</td></tr>"),
		  "</tbody></table></details>"'
}

# chart ID TITLE: a chart's place in the page (filled by inline_charts).
chart() {
	printf '<figure class="chart" id="%s"><figcaption>%s</figcaption>\n@@SVG %s@@\n</figure>\n' "$1" "$2" "$1"
}

# The gnuplot settings every chart starts with: SVG, no markup in labels.
gp_start() {
	printf 'reset\nset terminal svg size %s,%s font "sans,10" background "white"\nset termoption noenhanced\n' "$2" "$3"
	printf 'set output "%s/%s.svg"\nset grid ytics lc rgb "#dddddd"\nset key below horizontal font ",9"\n' "$tmp" "$1"
}

# section_trends: one chart per headline metric: the last runs' values of
# the history and this run, the baseline window's band (its lowest to its
# highest value), the baseline (its mean, reg-check's) dashed, and the
# threshold line (the baseline moved by the row's min_effect_pct or
# threshold_pct, the worse way).
section_trends() {
	printf '<h2 id="trends">Trends over the last runs</h2>\n<div class="charts">\n'
	jq -rn --slurpfile r "$v" --argjson last "$last" --arg tmp "$tmp" "$defs$ve_jq_headline"'
		def key: [.metric, (.labels.scenario // "")];
		([inputs | headline] | group_by(key) | map({key: (.[0] | key | tostring), value: .}) | from_entries) as $h
		| [$r[] | select(.metric != "release") | headline | select(.value != null)] | to_entries[]
		| .key as $i | .value as $row
		| (($h[$row | key | tostring] // []) | map(select(.run_id != $row.run_id)) | group_by(.run_id) | map(max_by(.ts // "")) | sort_by([.ts // "", .run_id])) as $past
		| ($past[-($last - 1):] + [$row]) as $pts
		| ($pts | length) as $n
		| ($past | reverse | .[:($row.window // 0)] | map(.value)) as $win
		| ($row.min_effect_pct // $row.threshold_pct) as $th
		| (if $row.baseline != null and $th != null then
			$row.baseline * (1 + (if $row.direction == "lower" then $th else -$th end) / 100) else null end) as $tl
		| ([$pts[].value] + $win + [$row.baseline, $tl] | map(select(. != null))) as $ys
		| ($ys | min) as $lo | ($ys | max) as $hi
		| (if $hi > $lo then ($hi - $lo) * 0.08 else ([($hi | fabs) * 0.1, 1] | max) end) as $pad
		| "@@GP trend-\($i)",
		  "set xrange [0.5:\($n + 0.5)]\nset xtics 1\nset yrange [\($lo - $pad):\($hi + $pad)]",
		  "set xlabel \"run (oldest to this one)\"\nset ylabel \"value\"",
		  (if ($win | length) > 0 then
			"set object 1 rect from \([$n - ($win | length) - 0.5, 0.5] | max),\($win | min) to \($n - 0.5),\($win | max) fc rgb \"#cfe0ff\" fs solid 0.6 noborder behind"
		   else empty end),
		  "$pts\($i) << EOD", ($pts | to_entries[] | "\(.key + 1) \(.value.value)"), "EOD",
		  "plot $pts\($i) using 1:2 with linespoints lw 2 pt 7 lc rgb \"#1565c0\" title \"value\""
			+ (if $row.baseline != null then ", \($row.baseline) with lines dt 2 lc rgb \"#555555\" title \"baseline\"" else "" end)
			+ (if $tl != null then ", \($tl) with lines lc rgb \"#c62828\" title \"threshold\"" else "" end),
		  "@@FIG trend-\($i) \($row | name | e) (\($row.status | e))"' "$tmp/history.jsonl" |
		split_plots 420 230
	printf '</div>\n'
}

# split_plots WIDTH HEIGHT: reads "@@GP ID" blocks of gnuplot lines each
# ended by "@@FIG ID CAPTION": appends each block to plots.gp, with its
# terminal settings first, and writes the chart's place in the page.
split_plots() {
	while IFS= read -r line; do
		case $line in
		'@@GP '*) gp_start "${line#@@GP }" "$1" "$2" >> "$tmp/plots.gp" ;;
		'@@FIG '*)
			rest=${line#@@FIG }
			chart "${rest%% *}" "${rest#* }"
			;;
		*) printf '%s\n' "$line" >> "$tmp/plots.gp" ;;
		esac
	done
}

# section_tasks: each task's headline accuracy with its stderr bars, and the
# baseline's figure beside it.
section_tasks() {
	printf '<h2 id="tasks">Accuracy per task</h2>\n<div class="charts">\n'
	jq -rn --slurpfile r "$v" "$defs$ve_jq_headline"'
		([$r[] | select(.metric != "release") | {key: .metric, value: .baseline}] | from_entries) as $b
		| [inputs | headline | select(.metric | test("^(judge|perf)\\.|\\.output_tokens$") | not) | select(.value != null)]
		| select(length > 0)
		| "@@GP tasks",
		  "set xrange [-0.6:\(length - 0.4)]\nset yrange [0:*]\nset xtics rotate by -30 font \",9\"",
		  "set xlabel \"task\"\nset ylabel \"accuracy\"\nset boxwidth 0.6\nset style fill solid 0.5",
		  "$tasks << EOD", (to_entries[] | "\(.key) \"\(.value.metric | split(".")[0])\" \(.value.value) \(.value.stderr // 0) \($b[.value.metric] // "NaN")"), "EOD",
		  "plot $tasks using 1:3:xtic(2) with boxes lc rgb \"#90caf9\" title \"this run\", $tasks using 1:3:4 with yerrorbars pt 0 lc rgb \"#0d47a1\" title \"stderr\", $tasks using 1:5 with points pt 9 ps 1.2 lc rgb \"#c62828\" title \"baseline\"",
		  "@@FIG tasks headline accuracy of each task, stderr bars"' "$tmp/metrics.jsonl" |
		split_plots 820 320
	printf '</div>\n'
}
# cdf FILE: the latency samples of the successful requests of an
# llm-query --stream output (those lat-stats counts), sorted, as
# "TTFT E2EL FRACTION" lines: the empirical distribution, nothing fitted.
cdf() {
	jq -rn '[inputs | select(.error == null and .response.status == 200 and .timing.ttft_ms != null)
		| .timing] | (sort_by(.ttft_ms) | map(.ttft_ms)) as $t | (sort_by(.e2el_ms) | map(.e2el_ms)) as $e
		| length as $n | range(0; $n) | "\($t[.]) \($e[.]) \((. + 1) / $n)"' "$1"
}

# section_serving: for each scenario, its latency percentiles against the
# baseline (reg-check's rows) and the CDF of TTFT and E2EL against the
# baseline run's requests.
section_serving() {
	scen=$(jq -r 'select(.metric | test("^perf\\.[a-z0-9_]+\\.ttft_ms\\.")) | .metric | split(".")[1]
		| select(test("_r[0-9.]+$") | not)' "$v" | awk '!seen[$0]++')
	[ -n "$scen" ] || return 0
	printf '<h2 id="serving">Serving scenarios</h2>\n'
	for s in $scen; do
		printf '<h3>%s</h3>\n' "$s"
		jq -rn --arg s "$s" "$defs"'[inputs | select(.metric | startswith("perf.\($s).")) | select(.metric | test("_ms\\.(mean|median|p[0-9.]+)$"))]
			| "<table class=\"latency\" id=\"latency-\($s)\"><thead><tr><th>figure</th><th>value (ms)</th><th>baseline (ms)</th><th>change</th><th>status</th></tr></thead><tbody>",
			  (.[] | "<tr class=\"\(.status | cls)\"><td>\(.metric | ltrimstr("perf.\($s).") | e)</td><td class=\"num\">\(.value | r3)</td>"
				+ "<td class=\"num\">\(.baseline | r3)</td><td class=\"num\">\(.delta_pct | pct)</td><td>\(.status | e)</td></tr>"),
			  "</tbody></table>"' "$v"
		[ -s "$d/perf/$s/raw.jsonl" ] || continue
		cdf "$d/perf/$s/raw.jsonl" > "$tmp/cdf-$s.dat"
		[ -s "$tmp/cdf-$s.dat" ] || continue
		b=$(base_file "perf/$s/raw.jsonl") && cdf "$b" > "$tmp/cdf-$s.base.dat"
		printf '<div class="charts">\n'
		for k in ttft:1 e2el:2; do
			col=${k#*:} m=${k%:*}
			{
				printf '@@GP cdf-%s-%s\n' "$s" "$m"
				printf 'set yrange [0:1]\nset xlabel "%s (ms)"\nset ylabel "fraction of requests"\nset key bottom right\n' "$m"
				printf 'plot "%s" using %s:3 with steps lw 2 lc rgb "#1565c0" title "this run"' "$tmp/cdf-$s.dat" "$col"
				[ -s "$tmp/cdf-$s.base.dat" ] &&
					printf ', "%s" using %s:3 with steps lw 2 dt 2 lc rgb "#555555" title "baseline run"' "$tmp/cdf-$s.base.dat" "$col"
				printf '\n@@FIG cdf-%s-%s %s: %s CDF\n' "$s" "$m" "$s" "$m"
			} | split_plots 420 260
		done
		printf '</div>\n'
	done
}

# section_sweep: a request-rate sweep (SCENARIO_rRATE, perf-bench.sh's runs
# of one scenario at each rate): throughput and p95 E2EL against the offered
# load, this run's and the baseline's.
section_sweep() {
	jq -rn --slurpfile r "$v" "$defs"'
		([$r[] | select(.metric != "release") | {key: .metric, value: .baseline}] | from_entries) as $b
		| [inputs | select(.metric | test("^perf\\.[a-z0-9_]+_r[0-9.]+\\.(request_throughput|e2el_ms\\.p95)$"))
			| (.metric | capture("^perf\\.(?<s>[a-z0-9_]+)_r(?<r>[0-9.]+)\\.(?<f>.*)$")) + {value, m: .metric}]
		| group_by(.s)[] | . as $g | $g[0].s as $s
		| ([$g[] | .r] | unique_by(tonumber) | sort_by(tonumber)) as $rates
		| select($rates | length > 0)
		| "@@GP sweep-\($s)",
		  "set xlabel \"offered load (requests/s)\"\nset ylabel \"throughput (requests/s)\"\nset y2label \"p95 E2EL (ms)\"\nset ytics nomirror\nset y2tics",
		  "$sw_\($s) << EOD",
		  ($rates[] as $x | ([$g[] | select(.r == $x)] | (map(select(.f == "request_throughput")) | first // {}) as $t
			| (map(select(.f == "e2el_ms.p95")) | first // {}) as $p
			| "\($x) \($t.value // "NaN") \($p.value // "NaN") \($b[$t.m // ""] // "NaN") \($b[$p.m // ""] // "NaN")")),
		  "EOD",
		  "plot $sw_\($s) using 1:2 with linespoints lw 2 pt 7 lc rgb \"#1565c0\" title \"throughput\", $sw_\($s) using 1:4 with linespoints dt 2 lc rgb \"#1565c0\" title \"throughput, baseline\", $sw_\($s) using 1:3 axes x1y2 with linespoints lw 2 pt 5 lc rgb \"#c62828\" title \"p95 E2EL\", $sw_\($s) using 1:5 axes x1y2 with linespoints dt 2 lc rgb \"#c62828\" title \"p95 E2EL, baseline\"",
		  "@@FIG sweep-\($s) \($s): request-rate sweep"' "$tmp/metrics.jsonl" > "$tmp/sweep.gp"
	[ -s "$tmp/sweep.gp" ] || return 0
	printf '<h2 id="sweep">Request-rate sweep</h2>\n<div class="charts">\n'
	split_plots 620 320 < "$tmp/sweep.gp"
	printf '</div>\n'
}

# section_flips: the items right in the baseline run and wrong in this one
# (the same task, document and sample), the first 50 with their prompt and
# answer as the model gave them.
section_flips() {
	printf '<h2 id="flips">Items that flipped from right to wrong</h2>\n'
	b=$(base_file items.jsonl) || { printf '<p class="note">No baseline run with item rows to compare with.</p>\n'; return 0; }
	jq -c -n --slurpfile base "$b" '
		def k: [.task, .doc_id, (.sample // 0)] | tostring;
		([$base[] | select(.correct == true) | {key: k, value: true}] | from_entries) as $right
		| [inputs | select(.correct == false and $right[k])]' "$tmp/items.jsonl" > "$tmp/flips.json"
	set --
	for f in "$d"/bench/*/raw.jsonl; do [ -s "$f" ] && set -- "$@" "$f"; done
	jq -rn --arg base "$(basename "$(dirname "$b")")" --slurpfile f "$tmp/flips.json" "$defs"'
		def k: [.task, .doc_id, (.sample // 0)] | tostring;
		def cut: if length > 2000 then .[:2000] + " …" else . end;
		$f[0] as $flips | ($flips[:50] | map({key: k, value: true}) | from_entries) as $want
		| (reduce inputs as $q ({}; ($q | k) as $k | if $want[$k] and (.[$k] == null) then .[$k] = $q else . end)) as $raw
		| "<p id=\"flip-count\">\($flips | length) item(s) right in the baseline run \($base | e) are wrong in this one"
			+ (if ($flips | length) > 50 then "; the first 50:" else "." end) + "</p>",
		  (select(($flips | length) > 0)
		  | "<table id=\"flip-table\"><thead><tr><th>task</th><th>item</th><th>prompt</th><th>answer</th><th>extracted</th><th>gold</th></tr></thead><tbody>",
		    ($flips[:50][] | $raw[k] as $q
			| "<tr class=\"flip\"><td>\(.task | e)</td><td>\(.doc_id | e)\(if .sample != null then " #\(.sample)" else "" end)</td>"
			+ "<td><pre>\($q | (.prompt // .request.messages[-1].content // .context // "") | if type == "string" then . else tojson end | cut | e)</pre></td>"
			+ "<td><pre>\($q | .response.text // "" | cut | e)</pre></td>"
			+ "<td><pre>\(.pred // "" | if type == "string" then . else tojson end | cut | e)</pre></td>"
			+ "<td><pre>\(.gold // "" | if type == "string" then . else tojson end | cut | e)</pre></td></tr>"),
		    "</tbody></table>")' "$@"
}

# section_links: the card, the Argo workflow and the dashboard, when known
# (http and https links only).
section_links() {
	card=''
	[ -s "$d/card.json" ] && card=$(cd "$d" && pwd)/card.json
	[ "$(cd "$(dirname "$out")" && pwd)" = "$(cd "$d" && pwd)" ] && [ -n "$card" ] && card=card.json
	jq -rn --arg card "$card" --arg argo "${WORKFLOW_URL:-}" --arg graf "${GRAFANA_URL:-}" "$defs"'
		def web: select(test("^https?://[^\\s]+$"));
		"<h2 id=\"links\">Links</h2>\n<ul>",
		(if $card != "" then "<li><a href=\"\($card | e)\">the Teams card (card.json)</a></li>" else empty end),
		($argo | web | "<li><a href=\"\(e)\">the Argo workflow</a></li>"),
		($graf | web | "<li><a href=\"\(e)\">the Grafana dashboard</a></li>"),
		"</ul>"'
}

# inline_charts: the page with each chart'"'"'s place replaced by its SVG, its
# XML prologue dropped and its ids made the chart'"'"'s own (gnuplot names
# every chart'"'"'s parts alike).
inline_charts() {
	while IFS= read -r line; do
		case $line in
		'@@SVG '*@@)
			id=${line#@@SVG }
			id=${id%@@}
			sed -e '/^<?xml/d' -e '/^<title>Gnuplot<\/title>/d' -e '/^<desc>/d' \
				-e "s/gnuplot_\\([a-z]*\\)/$id-\\1/g; s/gpPt/$id-gpPt/g; s/gpDot/$id-gpDot/g" \
				-e "s/^<svg *\$/<svg role=\"img\" class=\"plot\"/" "$tmp/$id.svg" || return 1
			;;
		*) printf '%s\n' "$line" ;;
		esac
	done
}

{
	html_head
	section_verdict
	section_findings
	section_table
	section_trends
	section_tasks
	section_serving
	section_sweep
	section_flips
	section_links
	printf '</main>\n</body>\n</html>\n'
} > "$tmp/report.in" || exit 73
# The charts, all at once, then each put in its place.
if [ -s "$tmp/plots.gp" ]; then
	gnuplot "$tmp/plots.gp" 2> "$tmp/gnuplot.err" || {
		sed "s/^/$prog: gnuplot: /" "$tmp/gnuplot.err" >&2
		exit 70
	}
fi
inline_charts < "$tmp/report.in" > "$tmp/report.html" || exit 73
# Written beside its place and renamed, so a reader never sees half of it.
if [ -d "$out" ] || ! cat "$tmp/report.html" 2>/dev/null > "$out.tmp.$$" || ! mv -f "$out.tmp.$$" "$out"; then
	rm -f "$out.tmp.$$"
	echo "$prog: $out: cannot write the report" >&2
	exit 73
fi
echo "$out"
