#!/usr/bin/env python3
"""lm-eval's GSM8K prompts with its few-shot draw, for the task tests.

  fewshot-ref.py SEED SHOTS LIMIT TRAIN.jsonl TEST.jsonl

writes the prompt of each of the first LIMIT test records (all when LIMIT
is negative), each followed by a NUL byte, so that a test compares them
byte for byte.

Re-implemented from reading lm-evaluation-harness at commit
4e7e0d47f33bc71070c1d38394bafbb52b117163 (no code copied):
- lm_eval/evaluator.py: the few-shot seed defaults to 1234 (defaults.py's
  DEFAULT_OTHER_SEED) and each task's sampler is given it once
  (set_fewshot_seed), so one random.Random(SEED) serves the whole task.
- lm_eval/api/task.py: build_all_requests takes the documents in dataset
  order, the first LIMIT of them with --limit (utils.create_iterator's
  islice), and calls fewshot_context once for each; fewshot_context asks
  the sampler for SHOTS examples, with the document to drop only when the
  few-shot split is the test split (GSM8K: train against test, so not),
  and lays each example out as build_qa_turn does: doc_to_text, the target
  delimiter " ", doc_to_target, the few-shot delimiter "\\n\\n"; then the
  document's own doc_to_text with nothing after it.
- lm_eval/api/samplers.py: ContextSampler.sample returns [] for 0 without
  drawing, else rnd.sample(pool, n), in the order sample() returns them.
- lm_eval/tasks/gsm8k/gsm8k.yaml: doc_to_text "Question: {{question}}\\nAnswer:",
  doc_to_target "{{answer}}".
"""
import json
import random
import sys


def text(doc):
    """gsm8k.yaml's doc_to_text."""
    return "Question: " + doc["question"] + "\nAnswer:"


def main():
    seed, shots, limit = (int(a) for a in sys.argv[1:4])
    with open(sys.argv[4], encoding="utf-8") as f:
        train = [json.loads(line) for line in f if line.strip()]
    with open(sys.argv[5], encoding="utf-8") as f:
        test = [json.loads(line) for line in f if line.strip()]
    if limit >= 0:
        test = test[:limit]
    rnd = random.Random(seed)
    out = sys.stdout.buffer
    for doc in test:
        examples = rnd.sample(train, shots) if shots > 0 else []
        prompt = "".join(text(d) + " " + d["answer"] + "\n\n" for d in examples)
        out.write((prompt + text(doc)).encode("utf-8") + b"\0")


main()
