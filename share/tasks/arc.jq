# ARC (AI2 Reasoning Challenge) -> loglikelihood query records, one per choice.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/arc/arc_easy.yaml (arc_challenge.yaml
# includes it; as of commit 4e7e0d47f33bc71070c1d38394bafbb52b117163):
# doc_to_text "Question: {{question}}\nAnswer:", doc_to_choice
# "{{choices.text}}", doc_to_target "{{choices.label.index(answerKey)}}", the
# default target_delimiter " " and fewshot_delimiter "\n\n", no description.
#
# Few-shot examples are drawn as lm-eval draws them at that commit: with no
# fewshot_split the pool is the training split (lm_eval/api/task.py,
# Task.fewshot_docs), and its default sampler (lm_eval/api/samplers.py)
# takes rnd.sample(train, shots) for each evaluated document in order from
# one random.Random(1234) for the task. The few-shot split (none) is not
# the test split ("test"), so no document is dropped from its own draw and
# no extra one drawn. Each example is its text, " ", the text of its
# answer's choice, "\n\n", in the order drawn. jq cannot replay Python's
# generator: ds-draw(1) writes each document's indices into "_fewshot"
# first; --limit N keeps the first N documents' draws, as lm-eval's --limit.
#
# Input: ARC records {id, question, choices:{text,label}, answerKey}, one per
# line, each with "_fewshot": `shots` indices into the fewshot file when
# shots > 0.
# Run:   ds-draw --sample 25 --population $(jq -n '[inputs] | length' TRAIN.jsonl)
#            --seed 1234 --field _fewshot TEST.jsonl |
#        jq -nc -f share/tasks/arc.jq [--arg task arc_easy] --argjson shots 25
#            --slurpfile fewshot TRAIN.jsonl [--argjson limit N]
# (at 0 shots: jq -nc -f share/tasks/arc.jq [--arg task arc_easy] TEST.jsonl)
# Output: {"task","doc_id","subset","choice","gold","context","continuation"} (vllm-eval(7)).

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def target: . as $d | $d.choices.label | map(. == $d.answerKey) | index(true);
def text: "Question: " + .question + "\nAnswer:";

# The few-shot examples of record $n: the fewshot file's records at its
# "_fewshot" indices, in that order ($shown: every record of the file,
# rendered as an example).
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

opt("task"; "arc_challenge") as $task
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| if $shots > ($pool | length) then error("shots: \($shots) asked, \($pool | length) in the fewshot file") else . end
| (if $shots == 0 then [] else $pool | map(text + " " + .choices.text[target] + "\n\n") end) as $shown
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| $d
| target as $gold
| if $gold == null then error("\(.id): answerKey \(.answerKey) is not one of the labels") else . end
| (shots($n; $shots; $shown) + text) as $context
| range(0; .choices.text | length) as $i
| {task: $task, doc_id: "\($task)/\($d.id)", subset: "all", choice: $i, gold: $gold,
   context: $context, continuation: (" " + $d.choices.text[$i])}
