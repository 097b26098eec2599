#!/bin/sh
# card-render.sh — draws a card teams-card wrote with Microsoft's Adaptive
# Cards renderer (the npm package adaptivecards, which Teams' web client is
# built on) in headless chromium, with Teams' light host config
# (teams-light.hostconfig.json beside this script), and says what it found.
#
#   card-render.sh [-w WIDTH] [-s PNG] CARD
#
# CARD is teams-card's message (or a bare AdaptiveCard). The card is drawn
# WIDTH px wide (320, Teams' narrowest, by default). Stdout: one JSON object:
# problems, the card's version, its mentions ({text, id}), what each
# TextBlock, Container and FactSet was drawn as (declared colour or style
# and the computed CSS colour), the overflow figures and the page's height.
# Stderr: "card-render.sh: CARD: PROBLEM", one line a problem: the renderer's
# parse and validation events (its target version is 1.4, what a Workflows
# webhook takes), console errors, uncaught exceptions, a mention without
# its msteams entity or an entity without its mention, text that markdown
# draws otherwise than it is written (Teams draws a card's text as
# markdown; the page does so with markdown-it, as the renderer does where
# it finds it), anything drawn past the card's right edge. With -s, a
# screenshot of the page as PNG.
#
# Exit status: 0 nothing found, 1 problems, 64 usage, 66 CARD unreadable,
# 69 the renderer is not installed (pipelines/install-deps.sh installs it
# into build/npm) or chromium did not answer.
#
# Nothing is fetched: the page loads the renderer from build/npm
# (VE_NPM overrides it) and the card from a scratch folder.
set -u
prog="card-render.sh"
here=$(cd "$(dirname "$0")" && pwd)
npm=${VE_NPM:-$here/../../build/npm}
width=320
png=''
while getopts w:s: o; do
	case $o in
	w) width=$OPTARG ;;
	s) png=$OPTARG ;;
	*) echo "usage: card-render.sh [-w WIDTH] [-s PNG] CARD" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -ne 1 ]; then
	echo "usage: card-render.sh [-w WIDTH] [-s PNG] CARD" >&2
	exit 64
fi
case $width in
'' | *[!0-9]*) echo "$prog: -w takes a width in px" >&2; exit 64 ;;
esac
card=$1
lib=$npm/node_modules/adaptivecards/dist/adaptivecards.min.js
if [ ! -f "$lib" ]; then
	echo "$prog: $lib is missing (pipelines/install-deps.sh installs it)" >&2
	exit 69
fi
if ! jq -e . "$card" > /dev/null 2>&1; then
	echo "$prog: $card: not a JSON file" >&2
	exit 66
fi

dir=$(mktemp -d) || exit 70
trap 'rm -rf "$dir"' EXIT
ln -s "$lib" "$dir/adaptivecards.min.js"
md=$npm/node_modules/markdown-it/dist/browser/markdown-it.umd.min.js
[ -f "$md" ] && ln -s "$md" "$dir/markdown-it.min.js"
ln -s "$here/card-check.js" "$dir/card-check.js"
cp "$here/card.html" "$dir/card.html"
{
	printf 'window.CARD = '
	jq -c . "$card"
	printf ';\nwindow.HOST_CONFIG = '
	jq -c . "$here/teams-light.hostconfig.json"
	printf ';\nwindow.CARD_WIDTH = %s;\n' "$width"
} > "$dir/data.js" || exit 70

# One start draws and checks; a second, at the page's height, takes the
# screenshot. --no-sandbox: tests run as root in CI.
browse() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--allow-file-access-from-files "$@"
}
browse --virtual-time-budget=2000 --window-size="$((width + 24)),800" --enable-logging=stderr --v=0 --dump-dom "file://$dir/card.html" \
	> "$dir/dom.html" 2> "$dir/chromium.log"
b64=$(sed -n 's|.*<pre id="result">\([A-Za-z0-9+/=]*\)</pre>.*|\1|p' "$dir/dom.html")
if [ -z "$b64" ]; then
	echo "$prog: $card: chromium drew no result (see its log below)" >&2
	tail -n 5 "$dir/chromium.log" >&2
	exit 69
fi
# The page's console messages, every level (the renderer warns with
# console.warn; an uncaught exception and a file that did not load show
# here too), from chromium's log, without the scratch folder's name, join
# the page's problems.
sed -n 's|^\[[^]]*:CONSOLE[^]]*\] "\(.*\)", source: .*/\([^/]*\) (\([0-9]*\))$|console: \1 (\2:\3)|p' \
	"$dir/chromium.log" > "$dir/console.txt"
res=$(printf '%s' "$b64" | base64 -d |
	jq -c --rawfile c "$dir/console.txt" '.problems += ($c | split("\n") | map(select(. != "")))') || exit 70
printf '%s\n' "$res"
if [ -n "$png" ]; then
	h=$(printf '%s' "$res" | jq '.height // 600')
	rm -f "$png"
	browse --virtual-time-budget=2000 --window-size="$((width + 24)),$h" --screenshot="$png" \
		"file://$dir/card.html" > /dev/null 2>&1
	[ -s "$png" ] || { echo "$prog: $png: chromium wrote no screenshot" >&2; exit 69; }
fi
printf '%s' "$res" | jq -r --arg p "$prog: $card: " '.problems[] | $p + .' >&2
[ "$(printf '%s' "$res" | jq '.problems | length')" -eq 0 ]
