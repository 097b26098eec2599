#!/bin/sh
# Installs the Debian 12 packages vllm-eval needs, and only those missing.
# Used by `make check`, `make demo`, .ci/run and the container image, so a
# fresh Debian 12 machine, as root, needs nothing else.
#
#   install-deps.sh            build, test and run dependencies
#   install-deps.sh --runtime  only what the installed programs need (the image)
#
# The tests' npm packages (tests/browser/package.json: the Adaptive Cards
# renderer tests/card-render.bats draws the Teams card with) go into
# build/npm, installed by `npm ci` from the committed lockfile, so every
# machine gets the same versions; Debian's npm when no npm is there. Tests
# read build/npm and fetch nothing.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)

build="build-essential pkg-config libjq-dev libonig-dev libcurl4-openssl-dev zlib1g-dev
libxxhash-dev libarchive-dev libssl-dev libutf8proc-dev libpcre2-dev libmicrohttpd-dev
libyaml-dev libseccomp-dev"
# python3: code-run runs the programs it grades with it. gnuplot-nox:
# report.sh draws the report's charts with it. chromium: the report's tests
# open the report in a headless browser.
runtime="libjq1 libcurl4 zlib1g libxxhash0 libarchive13 libssl3 libutf8proc2 libpcre2-8-0
libmicrohttpd12 libyaml-0-2 libseccomp2 python3 jq curl ca-certificates gnuplot-nox"
tests="bats bats-assert bats-support valgrind clang-14 libclang-rt-14-dev mandoc jq zstd xz-utils
bzip2 gzip tar zip python3 python3-jsonschema python3-yaml clickhouse-server prometheus
prometheus-pushgateway wrk hyperfine shellcheck clang-format parallel time chromium
zookeeper"

case "${1:-}" in
--runtime) want="$runtime" ;;
"") want="$build $runtime $tests" ;;
*) echo "install-deps.sh: usage: install-deps.sh [--runtime]" >&2; exit 64 ;;
esac

missing=""
# The machine's own Node.js and npm serve (a newer one, not Debian's, may be
# installed); Debian's otherwise.
if [ -z "${1:-}" ] && ! command -v npm > /dev/null 2>&1; then
	want="$want nodejs npm"
fi
for p in $want; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
# npm_packages: build/npm as tests/browser's lockfile says, unless it is
# already (npm ci removes node_modules and installs anew, half a second
# from npm's cache, more from the registry).
npm_packages() {
	[ -z "${1:-}" ] || return 0
	src=$root/tests/browser
	dst=$root/build/npm
	if [ -d "$dst/node_modules" ] && cmp -s "$src/package-lock.json" "$dst/package-lock.json" &&
		cmp -s "$src/package.json" "$dst/package.json"; then
		return 0
	fi
	echo "install-deps.sh: npm ci into build/npm (tests/browser/package-lock.json)" >&2
	mkdir -p "$dst"
	cp "$src/package.json" "$src/package-lock.json" "$dst/"
	(cd "$dst" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error > /dev/null) || {
		rm -f "$dst/package-lock.json"
		echo "install-deps.sh: npm ci failed in build/npm" >&2
		exit 69
	}
}

if [ -z "$missing" ]; then
	npm_packages "${1:-}"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: missing Debian packages:$missing" >&2
	echo "install-deps.sh: run as root, or: sudo apt-get install$missing" >&2
	exit 69
fi
echo "install-deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# clickhouse-server's and zookeeper's maintainer scripts try to start the
# service; tests run their own instances (tests/ch-cluster.bats: ZooKeeper
# from its jars), so keep the packaged ones from starting.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
npm_packages "${1:-}"
