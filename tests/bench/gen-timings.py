#!/usr/bin/env python3
"""Writes N llm-query streaming records (vllm-eval(7), Query record) to stdout, for lat-stats's bench.

Each record has a short prompt text, usage, and timing with 16 ITL gaps, one
in twenty is a failure. Deterministic: the same N gives the same bytes.
"""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rng = random.Random(7)
out = []
t0 = 1763805000.0
for i in range(n):
    start = t0 + i * 0.001
    if i % 20 == 19:
        out.append('{"id":%d,"error":{"kind":"http","status":503,"message":"busy","attempts":4},'
                   '"timing":{"start":%.6f,"e2el_ms":3.5,"attempts":4}}\n' % (i, start))
    else:
        ttft = rng.uniform(20, 300)
        itl = [rng.uniform(5, 40) for _ in range(16)]
        out.append('{"id":%d,"response":{"status":200,"text":"lorem ipsum dolor","finish_reason":'
                   '"length","usage":{"prompt_tokens":%d,"completion_tokens":17}},"timing":'
                   '{"start":%.6f,"ttft_ms":%.3f,"e2el_ms":%.3f,"itl_ms":[%s],"attempts":1}}\n'
                   % (i, rng.randint(100, 2000), start, ttft, ttft + sum(itl),
                      ",".join("%.3f" % x for x in itl)))
    if len(out) >= 10000:
        sys.stdout.write("".join(out))
        out = []
sys.stdout.write("".join(out))
