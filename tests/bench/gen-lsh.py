#!/usr/bin/env python3
"""Writes N (argv[1]) JSONL records of about 500 characters for ds-lsh's bench.

Four in five are English-like, one in five Korean, built from random\nvocabularies of 20000 words; one
record in ten is a near duplicate of an earlier one (1 to 5 % of its
characters edited), so clusters and verification have work to do.
Deterministic: the same N gives the same bytes.
"""
import json
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
rng = random.Random(42)
# Vocabularies as large as real text has, so unrelated records share few shingles.
en = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
      for _ in range(20000)]
ko = ["".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(rng.randint(1, 4)))
      for _ in range(20000)]
recent = []
out = sys.stdout
for i in range(n):
    if recent and rng.random() < 0.1:
        t = list(rng.choice(recent))
        for _ in range(max(1, int(len(t) * rng.uniform(0.01, 0.05)))):
            t[rng.randrange(len(t))] = rng.choice("abcdefghij")
        text = "".join(t)
    else:
        vocab = ko if rng.random() < 0.2 else en
        words = []
        length = 0
        while length < 500:
            w = rng.choice(vocab)
            words.append(w)
            length += len(w) + 1
        text = " ".join(words)
        if len(recent) < 10000:
            recent.append(text)
        else:
            recent[rng.randrange(10000)] = text
    out.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
