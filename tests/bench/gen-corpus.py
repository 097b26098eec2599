#!/usr/bin/env python3
"""Writes a JSONL benchmark corpus of about SIZE_MB megabytes to stdout.

Records look like benchmark items (id, subject, question, choices, answer),
English and Korean, with one record in ten an exact duplicate of an earlier
one (some with their keys in another order), so dedup has work to do.
Deterministic: the same size gives the same bytes.
"""
import json
import random
import sys

size = int(float(sys.argv[1]) * 1e6) if len(sys.argv) > 1 else 100_000_000
rng = random.Random(42)
words = ("the of model token latency answer question release vllm cache batch "
         "throughput prompt choice correct value sample weight layer gradient").split()
korean = "모델 지연 시간 정답 질문 배포 토큰 처리량 선택 올바른 값 표본 가중치".split()
subjects = ["abstract_algebra", "anatomy", "astronomy", "korean_history", "law"]
out = sys.stdout
written = 0
kept = []
i = 0
while written < size:
    if kept and rng.random() < 0.1:
        rec = dict(rng.choice(kept))
        if rng.random() < 0.5:
            rec = dict(reversed(list(rec.items())))
    else:
        vocab = korean if rng.random() < 0.2 else words
        q = " ".join(rng.choice(vocab) for _ in range(rng.randint(8, 40)))
        rec = {"id": i, "subject": rng.choice(subjects), "question": q,
               "choices": [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 5)))
                           for _ in range(4)],
               "answer": rng.randint(0, 3)}
        if len(kept) < 50000:
            kept.append(rec)
        elif rng.random() < 0.1:
            kept[rng.randrange(len(kept))] = rec
        i += 1
    line = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    out.write(line)
    written += len(line.encode())
