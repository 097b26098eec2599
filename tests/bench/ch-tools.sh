#!/bin/sh
# ch-insert, ch-query and teams-card benchmark (make bench): prints figures,
# passes or fails nothing. The ClickHouse stand-in (tests/fixtures/ch-insert/
# fakech.py, as 24.x) takes the inserts and answers the query, so what is
# timed is the tools' own work on 127.0.0.1:
#   ch-insert: 200000 metric rows, converted, gzip'd, hashed for the dedup
#              token, in 20 batches of 10000;
#   ch-query:  an answer of 200000 JSONEachRow rows (13 MB), checked and
#              written;
#   teams-card: 200000 verdict rows read into a card of 10 metrics.
# 5 runs each, median seconds.
set -eu
BIN=${VE_BIN:-$(pwd)/bin}
FIX=$(pwd)/tests/fixtures
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import json, random, sys
out = sys.argv[1]
rng = random.Random(20261128)
with open(out + "/metrics.jsonl", "w") as f, open(out + "/answer", "w") as a, \
        open(out + "/verdicts.jsonl", "w") as v:
    for i in range(200000):
        x = rng.random()
        row = {"metric": "task%03d.acc" % (i % 500), "value": x, "n": 1000,
               "stderr": (x * (1 - x) / 1000) ** 0.5, "unit": "ratio",
               "labels": {"subset": "s%d" % (i % 7)}, "run_id": "r%05d" % (i // 500),
               "model_tag": "release-1", "ts": "2026-11-22T10:00:00Z"}
        f.write(json.dumps(row) + "\n")
        a.write(json.dumps(dict(row, labels=json.dumps(row["labels"]))) + "\n")
        v.write(json.dumps({"metric": row["metric"], "value": x, "baseline": 0.5,
                            "delta_pct": (x - 0.5) * 200, "status": "ok",
                            "p_value": None, "run_id": "cur", "model_tag": "m"}) + "\n")
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
mkdir "$tmp/fake"
mv "$tmp/answer" "$tmp/fake/answer"
python3 "$FIX/ch-insert/fakech.py" "$port" "$tmp/fake" 24.3.1.2672 200 &
pid=$!
n=0
until curl -fsS -o /dev/null "http://127.0.0.1:$port/ping" 2>/dev/null || [ $n -ge 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
url="http://127.0.0.1:$port/"

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
timeit() {
	python3 -c 'import subprocess, sys, time
t = time.monotonic(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False); print("%.3f" % (time.monotonic() - t))' "$@"
}
echo "speed: 5 runs each, median seconds"
r=$(for i in 1 2 3 4 5; do timeit "$BIN/ch-insert" --url "$url" "$tmp/metrics.jsonl"; done | median)
echo "  ch-insert, 200000 metric rows in 20 batches: $r s"
r=$(for i in 1 2 3 4 5; do timeit "$BIN/ch-query" --url "$url" 'SELECT 1'; done | median)
echo "  ch-query, an answer of 200000 rows: $r s"
r=$(for i in 1 2 3 4 5; do timeit "$BIN/teams-card" --print "$tmp/verdicts.jsonl"; done | median)
echo "  teams-card, 200000 verdict rows: $r s"
