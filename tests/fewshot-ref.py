#!/usr/bin/env python3
"""lm-eval's few-shot prompts with its few-shot draw, for the task tests.

  fewshot-ref.py [--task gsm8k|arc|hellaswag|kmmlu] SEED SHOTS LIMIT TRAIN.jsonl TEST.jsonl

writes the prompt (for ARC, HellaSwag and KMMLU: the context) of each of the
first LIMIT test records (all when LIMIT is negative), each followed by a
NUL byte, so that a test compares them byte for byte. The task is gsm8k
unless --task says otherwise.

Re-implemented from reading lm-evaluation-harness at commit
4e7e0d47f33bc71070c1d38394bafbb52b117163 (no code copied):
- lm_eval/evaluator.py: the few-shot seed defaults to 1234 (defaults.py's
  DEFAULT_OTHER_SEED) and each task's sampler is given it once
  (set_fewshot_seed), so one random.Random(SEED) serves the whole task.
- lm_eval/api/task.py: build_all_requests takes the documents in dataset
  order, the first LIMIT of them with --limit (utils.create_iterator's
  islice), and calls fewshot_context once for each; the pool is
  fewshot_docs(): fewshot_split when set, else (Task.fewshot_docs) the
  training split, processed by process_docs. fewshot_context passes the
  document as eval_doc when fewshot_config.split == test_split: GSM8K and
  ARC (no fewshot_split, test_split "test") do not; HellaSwag
  (test_split null, no fewshot_split: None == None) does. It lays each
  example out as build_qa_turn does: doc_to_text, the target delimiter " ",
  the target (for multiple choice the choice at doc_to_target), the
  few-shot delimiter "\\n\\n"; then the document's own doc_to_text.
- lm_eval/api/samplers.py: ContextSampler.sample returns [] for 0 without
  drawing; without an eval_doc rnd.sample(pool, n); with one (a non-empty
  dict) rnd.sample(pool, n + 1), then rm_eval_doc: the drawn docs not equal
  (!=, the whole processed dict) to the document, the first n of them.
- lm_eval/tasks/gsm8k/gsm8k.yaml: doc_to_text "Question: {{question}}\\nAnswer:",
  doc_to_target "{{answer}}".
- lm_eval/tasks/arc/arc_easy.yaml (arc_challenge.yaml includes it):
  doc_to_text "Question: {{question}}\\nAnswer:", the target
  choices.text[choices.label.index(answerKey)].
- lm_eval/tasks/kmmlu/default/_default_kmmlu_yaml and kmmlu_SUBJECT.yaml:
  a task per subject (dataset_name its Category), fewshot_split dev and no
  fewshot_config, so the default sampler: each subject's own
  random.Random(SEED) (set_fewshot_seed is called for every task), a
  sample(n) of that subject's dev records per test document; doc_to_text
  "{{question.strip()}}\\nA. {{A}}\\nB. {{B}}\\nC. {{C}}\\nD. {{D}}\\n정답：",
  the target the letter of answer - 1.
- lm_eval/tasks/hellaswag/hellaswag.yaml and utils.py: process_docs adds
  query, choices and gold to each record; doc_to_text "{{query}}", the
  target choices[gold].
"""
import json
import random
import re
import sys


def preprocess(text):
    """hellaswag utils.py's preprocess, step for step."""
    text = text.strip().replace(" [title]", ". ")
    return re.sub("\\[.*?\\]", "", text).replace("  ", " ")


def hellaswag_doc(doc):
    """hellaswag utils.py's process_docs for one record: the record and its
    query, choices and gold."""
    ctx = doc["ctx_a"] + " " + doc["ctx_b"].capitalize()
    return dict(doc, query=preprocess(doc["activity_label"] + ": " + ctx),
                choices=[preprocess(e) for e in doc["endings"]],
                gold=int(doc["label"]))


TASKS = {
    # name: (process_docs, doc -> (doc_to_text, target), whether the
    # document goes to the sampler as eval_doc, the subtask a document
    # belongs to or None: each subtask is a task of its own, with its own
    # Random(SEED) and its own pool)
    "gsm8k": (lambda d: d,
              lambda d: ("Question: " + d["question"] + "\nAnswer:", d["answer"]),
              False, None),
    "arc": (lambda d: d,
            lambda d: ("Question: " + d["question"] + "\nAnswer:",
                         d["choices"]["text"][d["choices"]["label"].index(d["answerKey"])]),
            False, None),
    "hellaswag": (hellaswag_doc,
                  lambda d: (d["query"], d["choices"][d["gold"]]),
                  True, None),
    "kmmlu": (lambda d: d,
              lambda d: (d["question"].strip() + "\nA. " + d["A"] + "\nB. " + d["B"]
                         + "\nC. " + d["C"] + "\nD. " + d["D"] + "\n정답：",
                         "ABCD"[d["answer"] - 1]),
              False, lambda d: d["Category"]),
}


def sample(rnd, pool, n, eval_doc):
    """ContextSampler.sample."""
    if n == 0:
        return []
    if not eval_doc:
        return rnd.sample(pool, n)
    return [x for x in rnd.sample(pool, n + 1) if x != eval_doc][:n]


def main():
    args = sys.argv[1:]
    task = "gsm8k"
    if args[0] == "--task":
        task, args = args[1], args[2:]
    process, layout, with_doc, subtask = TASKS[task]
    seed, shots, limit = (int(a) for a in args[0:3])
    with open(args[3], encoding="utf-8") as f:
        train = [process(json.loads(line)) for line in f if line.strip()]
    with open(args[4], encoding="utf-8") as f:
        test = [process(json.loads(line)) for line in f if line.strip()]
    if limit >= 0:
        test = test[:limit]
    rnds = {}
    out = sys.stdout.buffer
    for doc in test:
        key = subtask(doc) if subtask else None
        rnd = rnds.setdefault(key, random.Random(seed))
        pool = [d for d in train if subtask(d) == key] if subtask else train
        examples = sample(rnd, pool, shots, doc if with_doc else None)
        prompt = "".join(t + " " + a + "\n\n" for t, a in map(layout, examples))
        out.write((prompt + layout(doc)[0]).encode("utf-8") + b"\0")


main()
