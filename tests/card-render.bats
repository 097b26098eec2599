#!/usr/bin/env bats
# teams-card's card as Teams draws it: Microsoft's Adaptive Cards renderer
# (the npm package adaptivecards, which Teams' web client is built on;
# pipelines/install-deps.sh installs it into build/npm from
# tests/browser/package-lock.json) in headless chromium, with Teams' light
# host config (tests/browser/teams-light.hostconfig.json), at Teams'
# narrowest width, 320 px. tests/browser/card-render.sh draws the card and
# says what it found: the renderer's parse and validation events, console
# messages, the mentions against their msteams entities, each element's
# drawn colour, text that markdown draws otherwise than it is written,
# anything past the card's edge. Screenshots of a degraded and a
# passing release's card are saved as build/card-degraded.png and
# build/card-passed.png.

bats_require_minimum_version 1.5.0
load helper

# Whether chromium starts, asked once for the file (a start is seconds).
setup_file() {
	if timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank > /dev/null 2>&1; then
		echo yes > "$BATS_FILE_TMPDIR/chromium-starts"
	fi
	return 0
}

setup() {
	setup_scratch
	TC="$FIX/teams-card"
	CR="$VE_ROOT/tests/browser/card-render.sh"
	unset TEAMS_WEBHOOK_URL
	renderer_or_skip
}

# missing WHAT: a failure in CI, where install-deps.sh has installed
# everything, and a skip elsewhere, each saying what did not run.
missing() {
	if [ "${CI:-}" = true ]; then
		echo "$1; the card's browser checks cannot run (pipelines/install-deps.sh installs it)" >&2
		return 1
	fi
	skip "$1; the card's browser checks did not run (pipelines/install-deps.sh installs it)"
}

# renderer_or_skip: chromium and the renderer, or the test skipped (failed
# in CI) saying which is missing.
renderer_or_skip() {
	command -v chromium > /dev/null 2>&1 || missing "chromium is not installed (Debian: chromium)"
	[ -f "$VE_ROOT/build/npm/node_modules/adaptivecards/dist/adaptivecards.min.js" ] ||
		missing "build/npm holds no Adaptive Cards renderer"
	[ -f "$BATS_FILE_TMPDIR/chromium-starts" ] || missing "chromium cannot start here"
}

# Teams' light theme's colours, from the host config (as #RRGGBB or
# #AARRGGBB), and the CSS colours they are drawn as, converted by hand:
# attention #c4314b = rgb(196, 49, 75); good #92c353 = rgb(146, 195, 83);
# warning #f8d22a = rgb(248, 210, 42); default text #ff252424 = rgb(37, 36, 36)
# (alpha ff); subtle #bf252424 = alpha 191/255 = 0.75; the attention
# container's background #FFC5B2 = rgb(255, 197, 178), the good one's
# #CCFFCC = rgb(204, 255, 204).
@test "card-render: the host config holds the colours the tests expect" {
	run -0 jq -c '.containerStyles | [.default.foregroundColors | .attention.default, .good.default, .warning.default, .default.default, .default.subtle], .attention.backgroundColor, .good.backgroundColor' \
		"$VE_ROOT/tests/browser/teams-light.hostconfig.json"
	assert_output '["#c4314b","#92c353","#f8d22a","#ff252424","#bf252424"]
"#FFC5B2"
"#CCFFCC"'
}

# drawn: what card-render.sh's stdout says each TextBlock and Container
# was drawn as, one line each (FactSets left out).
drawn() {
	jq -r '.drawn[] | select(.type != "FactSet") | "\(.type) \(.color // .style // "-") \(.css) \(.text // "")"' out.json
}

@test "card-render: a release that regressed, drawn as Teams draws it: the mention, the facts, attention colours, 320 px" {
	teams-card --time 2026-11-22T10:31:07Z --mention LLM-Ops=llm-ops@example.com \
		--link Grafana=https://grafana.example.com/d/llm --link Argo=https://argo.example.com/wf/1 \
		"$TC/release-regression.jsonl" > card.json
	mkdir -p "$VE_ROOT/build"
	rm -f "$VE_ROOT/build/card-degraded.png"
	run --separate-stderr "$CR" -s "$VE_ROOT/build/card-degraded.png" card.json
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > out.json
	run -0 jq -c '[.problems, .version, .mentions, .overflow]' out.json
	assert_output '[[],"1.4",[{"text":"<at>LLM-Ops</at>","id":"llm-ops@example.com"}],{"scrollWidth":320,"clientWidth":320,"past":[]}]'
	# the mention's entity is the one the text names
	run -0 jq -c '.attachments[0].content.msteams.entities' card.json
	assert_output '[{"type":"mention","text":"<at>LLM-Ops</at>","mentioned":{"id":"llm-ops@example.com","name":"LLM-Ops"}}]'
	run -0 drawn
	assert_output "TextBlock Attention rgb(196, 49, 75) release-2.0: regression
TextBlock - rgba(37, 36, 36, 0.75) Run r7 · 2026-11-22T10:31:07Z
TextBlock - rgb(37, 36, 36) <at>LLM-Ops</at> the release regressed: 2 findings among 3 gated metrics.
Container attention rgb(255, 197, 178) 
TextBlock - rgb(37, 36, 36) Release verdict: regression
TextBlock - rgba(37, 36, 36, 0.75) 2 findings among 3 gated metrics (rule stat, holm, alpha 0.05)
TextBlock - rgb(37, 36, 36) Metrics"
	# the facts drawn are the card's, in its order
	run -0 jq -c '[.drawn[] | select(.type == "FactSet") | .facts]' out.json
	assert_output "$(jq -c '[.. | objects | select(.type == "FactSet") | .facts | map([.title, .value])]' card.json)"
	assert_output --partial '["mmlu.acc \\[all]","0.55 against 0.65 (-15.4 %), test mcnemar, adjusted p = 0.00012"]'
	# the screenshot: the card at 320 px in a 12 px margin, as tall as the page
	run -0 file -b "$VE_ROOT/build/card-degraded.png"
	assert_output --regexp "^PNG image data, 344 x $(jq .height out.json),"
}

@test "card-render: a release that passed: good colours, no mention, nothing refused" {
	teams-card --time 2026-11-22T10:31:07Z --mention LLM-Ops=llm-ops@example.com \
		--link Grafana=https://grafana.example.com/d/llm "$TC/release-ok.jsonl" > card.json
	rm -f "$VE_ROOT/build/card-passed.png"
	run --separate-stderr "$CR" -s "$VE_ROOT/build/card-passed.png" card.json
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > out.json
	run -0 jq -c '[.problems, .mentions, .overflow.scrollWidth <= .overflow.clientWidth]' out.json
	assert_output '[[],[],true]'
	run -0 drawn
	assert_output "TextBlock Good rgb(146, 195, 83) release-2.1: passed
TextBlock - rgba(37, 36, 36, 0.75) Run r8 · 2026-11-22T10:31:07Z
Container good rgb(204, 255, 204) 
TextBlock - rgb(37, 36, 36) Release verdict: ok
TextBlock - rgba(37, 36, 36, 0.75) no finding among 2 gated metrics (rule stat, holm, alpha 0.05)
TextBlock - rgb(37, 36, 36) Metrics"
	run -0 file -b "$VE_ROOT/build/card-passed.png"
	assert_output --regexp '^PNG image data, 344 x [0-9]+,'
}

@test "card-render: verdicts without a release row: the regressions in an attention container; an empty run's warning colour" {
	teams-card --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com --mention LLM-Ops=llm-ops@example.com \
		"$TC/no-release.jsonl" > card.json
	run --separate-stderr "$CR" card.json
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > out.json
	run -0 jq -c '.mentions' out.json
	assert_output '[{"text":"<at>Ops</at>","id":"ops@example.com"},{"text":"<at>LLM-Ops</at>","id":"llm-ops@example.com"}]'
	run -0 drawn
	assert_line --index 0 'TextBlock Attention rgb(196, 49, 75) release-2.0: 2 regressions, 1 missing metric'
	assert_line --index 2 --regexp '^TextBlock - rgb\(37, 36, 36\) <at>Ops</at> <at>LLM-Ops</at> 2 metrics fell below'
	assert_line --index 4 'Container attention rgb(255, 197, 178) '
	# no metrics at all: the title in Teams' warning colour
	teams-card --model-tag m --run-id r --time 2026-11-22T10:31:07Z < /dev/null > empty.json
	run --separate-stderr "$CR" empty.json
	assert_success
	assert_equal "$stderr" ""
	echo "$output" > out.json
	run -0 drawn
	assert_output "TextBlock Warning rgb(248, 210, 42) m: no metrics reported
TextBlock - rgba(37, 36, 36, 0.75) Run r · 2026-11-22T10:31:07Z"
}

@test "card-render: many long metric names stay inside 320 px" {
	# names of 60 bytes without a space, and --max-facts 40
	for i in $(seq 1 40); do
		printf '{"metric":"task%02d.a_rather_long_metric_name_for_the_narrow_width_test","value":0.5,"baseline":0.7,"delta_pct":-28.57,"status":"regression","model_tag":"m","run_id":"r"}\n' "$i"
	done > long.jsonl
	teams-card --max-facts 40 --time 2026-11-22T10:31:07Z --mention Ops=ops@example.com long.jsonl > card.json
	run --separate-stderr "$CR" card.json
	assert_success
	assert_equal "$stderr" ""
	run -0 jq -c '.overflow' <<< "$output"
	assert_output '{"scrollWidth":320,"clientWidth":320,"past":[]}'
}

@test "card-render: names with markdown in them are drawn as written; the same card unescaped is not" {
	{
		echo '{"metric":"a*b*c.acc","value":0.5,"baseline":0.7,"delta_pct":-28.57,"status":"regression","model_tag":"1. m","run_id":"r_1"}'
		echo '{"metric":"x.acc","labels":{"subset":"__init__"},"value":0.5,"status":"ok"}'
		echo '{"metric":"# `t` &lt; ~~s~~ [l](u) <u@v> \\","value":1,"status":"ok"}'
		echo '{"metric":"- y","value":-0.5,"status":"ok"}'
		echo '{"metric":"---","value":2,"status":"ok"}'
		echo '{"metric":"+ z","value":3,"status":"ok"}'
		echo '{"metric":"> q","value":3,"status":"ok"}'
	} > md.jsonl
	teams-card --time 2026-11-22T10:31:07Z --mention Ops_1=ops@example.com md.jsonl > card.json
	run --separate-stderr "$CR" card.json
	assert_success
	assert_equal "$stderr" ""
	run -0 jq -c '.mentions' <<< "$output"
	assert_output '[{"text":"<at>Ops_1</at>","id":"ops@example.com"}]'
	# the escapes taken out, as teams-card wrote the card before: Teams
	# would draw a list, italics, bold, a heading, a code span, an entity,
	# a strikethrough, links and a rule
	jq -c '(.. | strings) |= gsub("\\\\(?<c>[!-/:-@\\[-`{-~])"; .c)' card.json > raw.json
	run --separate-stderr "$CR" raw.json
	assert_failure 1
	assert_equal "$stderr" 'card-render.sh: raw.json: markdown changes the text "1. m: 1 regression": drawn as "m: 1 regression"
card-render.sh: raw.json: markdown changes the fact title "a*b*c.acc": drawn as "abc.acc"
card-render.sh: raw.json: markdown changes the fact title "x.acc [__init__]": drawn as "x.acc [init]"
card-render.sh: raw.json: markdown changes the fact title "# `t` &lt; ~~s~~ [l](u) <u@v> \\": drawn as "t < s l u@v \\"
card-render.sh: raw.json: markdown changes the fact title "- y": drawn as "y"
card-render.sh: raw.json: markdown changes the fact title "---": drawn as ""
card-render.sh: raw.json: markdown changes the fact title "+ z": drawn as "z"
card-render.sh: raw.json: markdown changes the fact title "> q": drawn as "q"
card-render.sh: raw.json: at 320 px drawn past the card'"'"'s edge: ol: m: 1 regression
card-render.sh: raw.json: at 320 px drawn past the card'"'"'s edge: li: m: 1 regression'
}

# broken EXPR: the regression card changed by the jq program EXPR, in bad.json.
broken() {
	teams-card --time 2026-11-22T10:31:07Z --mention LLM-Ops=llm-ops@example.com "$TC/release-regression.jsonl" |
		jq -c "$1" > bad.json
}

@test "card-render: what the renderer refuses, a mention without its entity, and what overflows fail, naming the problem" {
	broken '.attachments[0].content.body[0].color = "Red"'
	run --separate-stderr "$CR" bad.json
	assert_failure 1
	assert_equal "$stderr" 'card-render.sh: bad.json: parse: InvalidPropertyValue: Invalid value "Red" for property "color".'
	run -0 jq -c '.problems | length' <<< "$output"
	assert_output 1
	# a Table is Adaptive Cards 1.5: Teams' 1.4 cards in a Workflows message
	broken '.attachments[0].content.body += [{"type":"Table","columns":[]}]'
	run --separate-stderr "$CR" bad.json
	assert_failure 1
	assert_equal "$stderr" 'card-render.sh: bad.json: parse: UnknownElementType: Unknown element type "Table". Fallback will be used if present.'
	broken '.attachments[0].content.msteams.entities[0].text = "<at>Ops</at>"'
	run --separate-stderr "$CR" bad.json
	assert_failure 1
	assert_equal "$stderr" "card-render.sh: bad.json: mention <at>LLM-Ops</at> in body[2].text has no msteams.entities mention
card-render.sh: bad.json: msteams.entities[0] (<at>Ops</at>) is not in the card's text"
	broken '.attachments[0].content.msteams.entities[0].mentioned.name = "Ops"'
	run --separate-stderr "$CR" bad.json
	assert_failure 1
	assert_equal "$stderr" "card-render.sh: bad.json: mention <at>LLM-Ops</at>: its entity's mentioned name or id does not match"
	# a column 600 px wide in a card 320 px wide
	broken '.attachments[0].content.body += [{"type":"ColumnSet","columns":[{"type":"Column","width":"600px","items":[{"type":"TextBlock","text":"wide"}]}]}]'
	run --separate-stderr "$CR" bad.json
	assert_failure 1
	assert_equal "$stderr" "card-render.sh: bad.json: at 320 px the card is 616 px wide
card-render.sh: bad.json: at 320 px drawn past the card's edge: div.ac-container: wide
card-render.sh: bad.json: at 320 px drawn past the card's edge: div.ac-textBlock: wide
card-render.sh: bad.json: at 320 px drawn past the card's edge: p: wide"
	# a message without a card
	echo '{"type":"message","attachments":[]}' > bad.json
	run --separate-stderr "$CR" bad.json
	assert_failure 1
	assert_equal "$stderr" "card-render.sh: bad.json: the message has no Adaptive Card attachment
card-render.sh: bad.json: no AdaptiveCard to render"
}

@test "card-render: the renderer's console warnings are problems: without markdown-it it warns" {
	# build/npm without markdown-it: the renderer warns that it draws
	# markdown as plain text, which Teams does not
	mkdir -p npm/node_modules/adaptivecards/dist
	ln -s "$VE_ROOT/build/npm/node_modules/adaptivecards/dist/adaptivecards.min.js" npm/node_modules/adaptivecards/dist/
	# (a card without escapes: drawn without markdown, they would show)
	teams-card --model-tag m --run-id r --time 2026-11-22T10:31:07Z < /dev/null > card.json
	VE_NPM=$T/npm run --separate-stderr "$CR" card.json
	assert_failure 1
	assert_equal "$stderr" 'card-render.sh: card.json: console: ()=>"Markdown processing isn'"'"'t enabled. Please see https://www.npmjs.com/package/adaptivecards#supporting-markdown" (adaptivecards.min.js:2)'
	run -0 jq -r '.problems | length' <<< "$output"
	assert_output 1
}

@test "card-render: usage errors, a file that is not JSON, and no renderer in build/npm" {
	run --separate-stderr "$CR"
	assert_failure 64
	assert_equal "$stderr" "usage: card-render.sh [-w WIDTH] [-s PNG] CARD"
	run --separate-stderr "$CR" -w wide x.json
	assert_failure 64
	assert_equal "$stderr" "card-render.sh: -w takes a width in px"
	printf '{"type":' > trunc.json
	run --separate-stderr "$CR" trunc.json
	assert_failure 66
	assert_equal "$stderr" "card-render.sh: trunc.json: not a JSON file"
	run --separate-stderr "$CR" nosuch.json
	assert_failure 66
	assert_equal "$stderr" "card-render.sh: nosuch.json: not a JSON file"
	VE_NPM=$T/none run --separate-stderr "$CR" trunc.json
	assert_failure 69
	assert_equal "$stderr" "card-render.sh: $T/none/node_modules/adaptivecards/dist/adaptivecards.min.js is missing (pipelines/install-deps.sh installs it)"
	assert_output ""
}
