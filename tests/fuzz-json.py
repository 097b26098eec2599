#!/usr/bin/env python3
"""Writes N JSON Lines, most of them slightly broken, for differential tests.

Each line is a record from the seed file with up to three random edits
(delete, insert or replace an ASCII byte that matters to JSON), so the
output mixes valid records, valid non-canonical ones and near-misses of
every kind. ASCII-only edits keep the UTF-8 valid. Deterministic per seed.
  fuzz-json.py SEEDFILE N SEED
"""
import random
import sys

seeds = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
n, rng = int(sys.argv[2]), random.Random(int(sys.argv[3]))
alphabet = '{}[]:,"\\0123456789.eE-+ tfnaulrsx\t'
out = []
for _ in range(n):
    s = rng.choice(seeds)
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(len(s) + 1)
        op = rng.random()
        if op < 0.33 and s:
            i = min(i, len(s) - 1)
            if ord(s[i]) < 128:
                s = s[:i] + s[i + 1:]
        elif op < 0.66:
            s = s[:i] + rng.choice(alphabet) + s[i:]
        elif s:
            i = min(i, len(s) - 1)
            if ord(s[i]) < 128:
                s = s[:i] + rng.choice(alphabet) + s[i + 1:]
    if s.strip():
        out.append(s)
sys.stdout.write("".join(l + "\n" for l in out))
