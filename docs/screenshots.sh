#!/bin/sh
# screenshots.sh — `make screenshots`: README's pictures, from the runs of
# `make demo` (runs/demo/): the card teams-card builds from the degraded
# release's verdicts, with the mention of README's example, drawn by
# Microsoft's Adaptive Cards renderer with Teams' light host config
# (tests/browser/card-render.sh, which must find nothing wrong), and the top
# of that run's report.html in headless chromium. Both are shrunk to a
# 256-colour palette (tests/browser/png-shrink.js) into docs/card.png and
# docs/report.png.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run=runs/demo/demo-4-release-1.5.0
out=build/docs
if [ ! -f "$run/verdicts.jsonl" ] || [ ! -f "$run/report.html" ]; then
	echo "screenshots.sh: $run has no verdicts or report: run make demo first" >&2
	exit 66
fi
mkdir -p "$out"
bin/teams-card -q --print --mention LLM-Ops=llm-ops@example.com \
	--link Grafana=https://grafana.example.com/d/llm-quality \
	--link Argo=https://argo.example.com/workflows/vllm-eval "$run/verdicts.jsonl" > "$out/card.json"
sh tests/browser/card-render.sh -w 480 -s "$out/card.png" "$out/card.json" > /dev/null
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1024,1400 \
	--virtual-time-budget=3000 --screenshot="$out/report.png" "file://$root/$run/report.html" > /dev/null 2>&1
node tests/browser/png-shrink.js "$out/card.png" docs/card.png
node tests/browser/png-shrink.js "$out/report.png" docs/report.png
