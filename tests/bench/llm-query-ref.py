#!/usr/bin/env python3
"""Reference client for tests/bench/llm-query.sh: the same streamed load as
llm-query, the way vLLM's benchmark reads it (one json.loads per SSE event,
a perf_counter stamp per token chunk), on threads with http.client since
aiohttp is not installed here. Reads query records with .request; prints the
streamed tokens it received."""
import http.client
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

host, port, model, path, conc = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
bodies = []
for line in open(path):
    r = json.loads(line)["request"]
    r.update({"model": model, "stream": True, "stream_options": {"include_usage": True}})
    bodies.append(json.dumps(r).encode())
local = threading.local()


def one(body):
    c = getattr(local, "c", None)
    if c is None:
        c = local.c = http.client.HTTPConnection(host, port)
    st = time.perf_counter()
    c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
    resp = c.getresponse()
    ttft, last, itl, out = 0.0, st, [], 0
    for raw in resp:
        line = raw.strip()
        if not line.startswith(b"data:"):
            continue
        data = line[5:].strip()
        if data == b"[DONE]":
            break
        ev = json.loads(data)
        now = time.perf_counter()
        if ev.get("choices"):
            if not ttft:
                ttft = now - st
            else:
                itl.append(now - last)
            last = now
        if ev.get("usage"):
            out = ev["usage"]["completion_tokens"]
    resp.read()
    return out


with ThreadPoolExecutor(max_workers=conc) as ex:
    total = sum(ex.map(one, bodies))
print(total)
