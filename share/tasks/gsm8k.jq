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
# Input: GSM8K records {question, answer}, one per line (openai/gsm8k "main").
# Run:   jq -nc -f share/tasks/gsm8k.jq [--argjson shots N]
#           [--slurpfile fewshot TRAIN.jsonl] [--argjson limit N] TEST.jsonl
# Few-shot examples are the first N of the fewshot file. lm-eval draws
# gsm8k's at random from train (its default sampler, Python's
# random.Random(1234)); jq cannot replay that draw (a later change brings
# it), so prompts are byte-identical to lm-eval's at 0 shots, and with shots
# use the same layout with the first examples.
# Output: {"task":"gsm8k","doc_id":"gsm8k/N","subset":"all","gold":"...\n#### 72",
#          "prompt":"Question: ...\nAnswer:"}

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def text: "Question: " + .question + "\nAnswer:";
def check($n): if (.question | type) != "string" or (.answer | type) != "string"
	then error("record \($n): expected {question, answer} strings") else . end;

opt("task"; "gsm8k") as $task
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| if $shots > ($pool | length) then error("shots: \($shots) asked, \($pool | length) in the fewshot file") else . end
| ($pool[0:$shots] | map(check("fewshot") | text + " " + .answer + "\n\n") | add // "") as $prefix
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| $d | check($n)
| {task: $task, doc_id: "\($task)/\($n)", subset: "all", gold: .answer, prompt: ($prefix + text)}
