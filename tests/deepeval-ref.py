#!/usr/bin/env python3
"""DeepEval's score for one judge reply, for the score-gen --judge tests.

  deepeval-ref.py --judge KIND [--strict] [--score-range LO,HI]
                  [--penalize-ambiguous] [--pass-threshold X] FILE

KIND is geval, answer_relevancy, faithfulness or hallucination. FILE holds
JSON Lines, each with "doc_id" and one of (looked for in this order):
"error" or "judge_error" (a failed judge call: an errored case),
"judge_verdicts" (the verdict list, known without a call: scored as given)
or "response" ({"text": REPLY, "logprobs": L}, as llm-query writes it; L is
the chat form {"content": [{"token", "logprob", "top_logprobs": [{"token",
"logprob"}, ...]}, ...]} or the completions form {"tokens": [...],
"top_logprobs": [{TOKEN: LOGPROB, ...}, ...]}, token i with the
alternatives top_logprobs[i]; absent or null: no logprobs). For each record
it prints {"doc_id": ID, "score": X, "success": B}, the score null where
DeepEval's metric raises, success as its is_successful (false on an
error), the score printed as DeepEval holds it (an int where its value is
one: 1 or 0 for no verdicts or in strict mode, int(score) for a strict
G-Eval); then {"pass_rate_all": successes / records} (null for no
records).
The threshold is X, 0.5 by default; --strict sets it as DeepEval does (1,
hallucination 0) whatever X is. --score-range is G-Eval's rubric range
(integers, 0 <= LO <= HI <= 10; default 0,10), --penalize-ambiguous
faithfulness's penalize_ambiguous_claims. A "judge_verdicts" list is
checked as a reply's "verdicts" is. The cases are
tests/fixtures/score-gen/deepeval-geval.jsonl (--judge geval) and
deepeval-verdicts.jsonl (the three verdict kinds); each doc_id names the
rule it tests.

Re-implemented from reading DeepEval 4.1.10 (confident-ai/deepeval at
a2e0d4cfd3118352d321c1c84bdeba17d4a201bc; no code copied):
- deepeval/metrics/g_eval/g_eval.py (_evaluate, measure): the judge is
  called through generate_raw_response; its message content goes through
  metrics/utils.py trimAndLoadJson, then data["reason"] and data["score"]
  are read unvalidated (both keys required). Strict: the score is
  int(score), the raw value. Otherwise calculate_weighted_summed_score,
  falling back to the raw value on KeyError, AttributeError, TypeError or
  ValueError, and the score is (float(g) - LO) / (HI - LO).
- deepeval/metrics/g_eval/utils.py: calculate_weighted_summed_score takes
  the last generated token equal to str(raw score) (a JSON 7 is "7", 7.0
  is "7.0", "7" is "7", true is "True"); of its top_logprobs it drops a
  logprob below math.log(0.01) and a token that is not str.isdecimal()
  (Unicode decimal digits count, int() reads them), sums exp(logprob) per
  int(token) in a dict (first-seen order) and over all kept tokens in
  token order, returns the dict's sum of score * p over that total, or the
  raw score when nothing is kept; get_score_range: (0, 10) without a
  rubric, else the first rubric's start and the last one's end.
- deepeval/metrics/utils.py trimAndLoadJson: the text from its first "{"
  to its last "}" ("}" appended when it has none), json.loads, and on a
  JSONDecodeError once more with ",\\s*" removed before each "]" or "}"
  (Python's \\s: Unicode white space).
- deepeval/models/llms/{local_model,openai_model}.py and
  deepeval/models/llms/utils.py: a native judge model's verdict reply is
  trim_and_load_json'ed (the same cut, the commas removed before the first
  parse, which changes only string contents) and checked with
  Verdicts.model_validate, pydantic v2 lax mode: "verdicts" must be a list
  of objects; "verdict" an exact literal; "reason" a str (numbers and bools
  are not turned into str) or, where Optional, null or absent; other keys
  are ignored. (A judge model that is not native, whose reply goes through
  metrics/utils.py trimAndLoadJson and Verdict(**item) for each item of
  data["verdicts"], differs only where "verdicts" is not a list: {} or ""
  give no verdicts there, an error here.)
- deepeval/metrics/{answer_relevancy,faithfulness,hallucination}/schema.py:
  verdict "yes", "no" or "idk" with an optional reason; hallucination
  "yes" or "no" with a required reason.
- deepeval/metrics/answer_relevancy/answer_relevancy.py and
  faithfulness/faithfulness.py _calculate_score: 1 for no verdicts, else
  the share of verdicts that are not "no" (faithfulness with
  penalize_ambiguous_claims: "idk" counts 0); strict: 0 below the
  threshold. The verdict call is skipped when there are no statements or
  claims (_generate_verdicts returns []).
- deepeval/metrics/hallucination/hallucination.py: 0 for no verdicts, else
  the share of "no" verdicts; strict: 1 above the threshold; is_successful
  is score <= threshold.
- deepeval/metrics/base_metric.py is_successful: false after an error, else
  score >= threshold. Thresholds: 0.5 by default; strict_mode sets 1 (0
  for hallucination).
"""
import argparse
import json
import math
import re
import sys

ALLOWED = {
    "answer_relevancy": ("yes", "no", "idk"),
    "faithfulness": ("yes", "no", "idk"),
    "hallucination": ("yes", "no"),
}


class MetricError(Exception):
    """Where DeepEval's metric would raise: no score."""


class InputError(Exception):
    """A record this script cannot read."""


# What the metric code meets and DeepEval lets through as the metric's
# error (float("x"), int(None), data["score"], a zero score range, ...).
RAISED = (MetricError, KeyError, TypeError, ValueError, AttributeError,
          OverflowError, ZeroDivisionError)


def cut_json(text):
    """The part of text trimAndLoadJson and trim_and_load_json parse."""
    if not isinstance(text, str):
        raise MetricError("reply is not text")
    start = text.find("{")
    end = text.rfind("}") + 1
    if end == 0 and start != -1:
        text = text + "}"
        end = len(text)
    return text[start:end] if start != -1 and end != 0 else ""


def strip_commas(s):
    """The trailing-comma repair of both loaders."""
    return re.sub(r",\s*([\]}])", r"\1", s)


def load_metric_json(text):
    """metrics/utils.py trimAndLoadJson: the repair only after a failure."""
    s = cut_json(text)
    try:
        return json.loads(s)
    except json.JSONDecodeError:
        try:
            return json.loads(strip_commas(s))
        except json.JSONDecodeError:
            raise MetricError("invalid JSON")
    except RecursionError:
        raise MetricError("invalid JSON")


def load_model_json(text):
    """models/llms/utils.py trim_and_load_json: the repair first."""
    try:
        return json.loads(strip_commas(cut_json(text)))
    except (json.JSONDecodeError, RecursionError):
        raise MetricError("invalid JSON")


def field(obj, name):
    """obj.name on the openai response object: absent keys, and anything
    that is not an object, raise AttributeError as the object would."""
    if isinstance(obj, dict) and name in obj:
        return obj[name]
    raise AttributeError(name)


def chat_content(logprobs):
    """choices[0].logprobs.content; the completions form turned into it,
    token i with the alternatives top_logprobs[i] (a missing entry is a
    missing attribute, null stays null)."""
    if not (isinstance(logprobs, dict) and "content" not in logprobs
            and "tokens" in logprobs):
        return field(logprobs, "content")
    tokens = logprobs["tokens"]
    tops = logprobs.get("top_logprobs")
    if not isinstance(tokens, list):
        return None
    content = []
    for i, token in enumerate(tokens):
        entry = {"token": token}
        if isinstance(tops, list) and i < len(tops):
            alt = tops[i]
            if isinstance(alt, dict):
                alt = [{"token": t, "logprob": x} for t, x in alt.items()]
            entry["top_logprobs"] = alt
        content.append(entry)
    return content


def weighted_score(raw, logprobs):
    """calculate_weighted_summed_score; raises what it raises."""
    generated = chat_content(logprobs)
    chosen = None
    for t in reversed(generated):
        if field(t, "token") == str(raw):
            chosen = t
            break
    per_score = {}
    total = 0
    floor = math.log(0.01)
    for alt in field(chosen, "top_logprobs"):
        logprob = field(alt, "logprob")
        if logprob < floor:
            continue
        if not field(alt, "token").isdecimal():
            continue
        p = math.exp(logprob)
        k = int(field(alt, "token"))
        if per_score.get(k):
            per_score[k] += p
        else:
            per_score[k] = p
        total += p
    weighted = 0.0
    for k, p in per_score.items():
        weighted += k * p
    if total == 0:
        return raw
    return weighted / total


def field_or_none(obj, name):
    """A response member, None when absent."""
    return obj.get(name) if isinstance(obj, dict) else None


def geval(resp, opts):
    """GEval.measure for one reply."""
    data = load_metric_json(field_or_none(resp, "text"))
    data["reason"]  # read first, unchecked: only its absence is an error
    raw = data["score"]
    if opts.strict:
        return int(raw)
    try:
        g = weighted_score(raw, field_or_none(resp, "logprobs"))
    except (KeyError, AttributeError, TypeError, ValueError):
        g = raw
    lo, hi = opts.score_range
    return (float(g) - lo) / (hi - lo)


def check_verdicts(items, kind):
    """Verdicts.model_validate's checks of the verdict list (pydantic v2,
    lax mode, from Python objects); the verdict strings."""
    if not isinstance(items, list):
        raise MetricError("verdicts is not a list")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise MetricError("verdict is not an object")
        v = item.get("verdict")
        if not (isinstance(v, str) and v in ALLOWED[kind]):
            raise MetricError("verdict is not a literal")
        if kind == "hallucination" or item.get("reason") is not None:
            if not isinstance(item.get("reason"), str):
                raise MetricError("reason is not a string")
        out.append(v)
    return out


def verdict_score(verdicts, kind, opts):
    """_calculate_score of the three verdict metrics."""
    n = len(verdicts)
    if kind == "hallucination":
        if n == 0:
            return 0
        score = sum(1 for v in verdicts if v.strip().lower() == "no") / n
        return 1 if opts.strict and score > opts.threshold else score
    if n == 0:
        return 1
    count = 0
    for v in verdicts:
        if v.strip().lower() != "no":
            count += 1
        if (kind == "faithfulness" and opts.penalize
                and v.strip().lower() == "idk"):
            count -= 1
    score = count / n
    return 0 if opts.strict and score < opts.threshold else score


def score_record(rec, opts):
    """The metric's score for one record, MetricError where it has none."""
    if "error" in rec or "judge_error" in rec:
        raise MetricError("judge call failed")
    kind = opts.judge
    if "judge_verdicts" in rec:
        if kind == "geval":
            raise InputError("judge_verdicts in a G-Eval record")
        items = rec["judge_verdicts"]
    elif "response" in rec:
        if kind == "geval":
            return geval(rec["response"], opts)
        data = load_model_json(field_or_none(rec["response"], "text"))
        if "verdicts" not in data:
            raise MetricError("no verdicts")
        items = data["verdicts"]
    else:
        raise InputError("no response, error, judge_error or judge_verdicts")
    return verdict_score(check_verdicts(items, kind), kind, opts)


def successful(score, kind, threshold):
    """is_successful (hallucination's own for hallucination)."""
    try:
        return score <= threshold if kind == "hallucination" else score >= threshold
    except TypeError:
        return False


def score_range(s):
    """--score-range LO,HI: a rubric's range."""
    lo, hi = (int(x) for x in s.split(","))
    if not 0 <= lo <= hi <= 10:
        raise ValueError(s)
    return lo, hi


def options():
    p = argparse.ArgumentParser(prog="deepeval-ref.py", allow_abbrev=False)
    p.add_argument("--judge", required=True,
                   choices=["geval", "answer_relevancy", "faithfulness",
                            "hallucination"])
    p.add_argument("--strict", action="store_true")
    p.add_argument("--score-range", type=score_range, default=(0, 10))
    p.add_argument("--penalize-ambiguous", dest="penalize", action="store_true")
    p.add_argument("--pass-threshold", dest="threshold", type=float, default=0.5)
    p.add_argument("file")
    opts = p.parse_args()
    if opts.strict:
        opts.threshold = 0 if opts.judge == "hallucination" else 1
    return opts


def main():
    opts = options()
    n = passed = 0
    with open(opts.file, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError as e:
                sys.exit("deepeval-ref.py: %s:%d: %s" % (opts.file, lineno, e))
            if not isinstance(rec, dict) or "doc_id" not in rec:
                sys.exit("deepeval-ref.py: %s:%d: no doc_id" % (opts.file, lineno))
            try:
                score = score_record(rec, opts)
            except InputError as e:
                sys.exit("deepeval-ref.py: %s:%d: %s" % (opts.file, lineno, e))
            except RAISED:
                score = None
            ok = score is not None and successful(score, opts.judge, opts.threshold)
            n += 1
            passed += ok
            print(json.dumps({"doc_id": rec["doc_id"], "score": score, "success": ok}))
    print(json.dumps({"pass_rate_all": passed / n if n else None}))


main()
