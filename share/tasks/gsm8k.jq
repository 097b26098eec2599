# GSM8K -> generation query records, one per problem.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/gsm8k/gsm8k.yaml (task version
# 3.0, as of commit 4e7e0d47f33bc71070c1d38394bafbb52b117163): doc_to_text
# "Question: {{question}}\nAnswer:", doc_to_target "{{answer}}" (the whole
# solution, ending "#### N"), the default target_delimiter " " and
# fewshot_delimiter "\n\n", 5 shots from train in its suite entry. Generation
# until "Question:", "</s>", "<|im_end|>", greedy, 256 tokens (lm-eval's
# max_gen_toks default); suites.json passes them to llm-query.
# score-gen scores both of its filters, strict-match ("#### (\-?[0-9\.\,]+)",
# the first match) and flexible-extract ("(-?[$0-9.,]{2,})|(-?[0-9]+)", the
# last), by exact_match with ignore_case and regexes_to_ignore ",", "\$",
# "(?s).*#### ", "\.$" (suites.json's scorer_args, score-gen(1)).
#
# Few-shot examples are drawn as lm-eval draws them at that commit: its
# default sampler (lm_eval/api/samplers.py, ContextSampler.sample) holds one
# random.Random per task, seeded with the few-shot seed (1234 unless
# --seed says otherwise, lm_eval/evaluator.py), and takes
# rnd.sample(train, shots) for each evaluated document in dataset order
# (lm_eval/api/task.py, build_all_requests and fewshot_context); the
# examples go in the order sample() returns them. The few-shot split
# (train) is not the test split, so no document is dropped from its own
# draw and no extra one drawn. jq cannot replay Python's generator:
# ds-draw(1) writes each document's indices into "_fewshot" first, and
# --limit N keeps the first N documents' draws unchanged, as lm-eval's
# --limit does (it evaluates the first N in order).
#
# Input: GSM8K records {question, answer}, one per line (openai/gsm8k
# "main"), each with "_fewshot": `shots` indices into the fewshot file when
# shots > 0 (without them the template stops: the first N would not be
# lm-eval's prompts).
# Run:   ds-draw --sample 5 --population $(jq -n '[inputs] | length' TRAIN.jsonl)
#            --seed 1234 --field _fewshot TEST.jsonl |
#        jq -nc -f share/tasks/gsm8k.jq --argjson shots 5
#            --slurpfile fewshot TRAIN.jsonl [--argjson limit N]
# (at 0 shots: jq -nc -f share/tasks/gsm8k.jq TEST.jsonl)
# Output: {"task":"gsm8k","doc_id":"gsm8k/N","subset":"all","gold":"...\n#### 72",
#          "prompt":"Question: ...\nAnswer:"}

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def text: "Question: " + .question + "\nAnswer:";
def check($n): if (.question | type) != "string" or (.answer | type) != "string"
	then error("record \($n): expected {question, answer} strings") else . end;

# The few-shot examples of record $n: the fewshot file's records at its
# "_fewshot" indices, in that order, each rendered as lm-eval's
# build_qa_turn renders a shot ($shown: every record of the file, rendered).
def shots($n; $shots; $shown):
  if $shots == 0 then ""
  else
    ._fewshot as $ix
    | if ($ix | type) != "array" or ($ix | length) != $shots
         or ($ix | any(type != "number" or . < 0 or . >= ($shown | length) or . != floor))
      then error("record \($n): expected \($shots) few-shot indices below \($shown | length) in \"_fewshot\""
                 + " (run ds-draw --sample \($shots) --population \($shown | length) --seed 1234 --field _fewshot first)")
      else [$ix[] | $shown[.]] | add end
  end;

opt("task"; "gsm8k") as $task
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| if $shots > ($pool | length) then error("shots: \($shots) asked, \($pool | length) in the fewshot file") else . end
| (if $shots == 0 then [] else $pool | map(check("fewshot") | text + " " + .answer + "\n\n") end) as $shown
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| $d | check($n)
| {task: $task, doc_id: "\($task)/\($n)", subset: "all", gold: .answer, prompt: (shots($n; $shots; $shown) + text)}
