# HellaSwag -> loglikelihood query records, one per ending.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/hellaswag/hellaswag.yaml and its
# utils.py: preprocess(text) strips the text, turns " [title]" into ". ",
# drops every "[...]" (a non-greedy match), and replaces double spaces with
# one; the query is preprocess(activity_label + ": " + ctx_a + " " +
# ctx_b.capitalize()), the choices are the preprocessed endings, the target
# the label. Python's str.capitalize (first character upper-cased, the rest
# lower-cased) is done here with jq 1.6's ascii_upcase/ascii_downcase: the
# same bytes on HellaSwag's English text; non-ASCII letters keep their case.
#
# Few-shot examples are drawn as lm-eval draws them at commit
# 4e7e0d47f33bc71070c1d38394bafbb52b117163: with no fewshot_split the pool
# is the training split, processed (lm_eval/api/task.py, Task.fewshot_docs).
# hellaswag.yaml's test_split is null, so the few-shot split (None) equals
# it and fewshot_context passes the document to the sampler as eval_doc;
# the default sampler (lm_eval/api/samplers.py, ContextSampler.sample) then
# takes rnd.sample(train, shots + 1) for each evaluated document in order
# from one random.Random(1234) for the task, drops the drawn records equal
# to the document (rm_eval_doc: the whole processed record, which is the
# dataset record and what preprocessing derives from it) and keeps the
# first `shots`. Drawn from train for a validation document the drop never
# fires unless the two records are the same, so it is shots + 1 drawn, the
# first `shots` kept. Each example is its query, " ", its gold ending,
# "\n\n". jq cannot replay Python's generator: ds-draw(1) writes each
# document's shots + 1 indices into "_fewshot" first; --limit N keeps the
# first N documents' draws, as lm-eval's --limit.
#
# Input: HellaSwag records {ind, activity_label, ctx_a, ctx_b, endings, label},
# each with "_fewshot": `shots` + 1 indices into the fewshot file when
# shots > 0.
# Run:   ds-draw --sample 11 --population $(jq -n '[inputs] | length' TRAIN.jsonl)
#            --seed 1234 --field _fewshot VALIDATION.jsonl |
#        jq -nc -f share/tasks/hellaswag.jq --argjson shots 10
#            --slurpfile fewshot TRAIN.jsonl [--argjson limit N]
# (at 0 shots: jq -nc -f share/tasks/hellaswag.jq VALIDATION.jsonl)
# Output: {"task":"hellaswag","doc_id","subset","choice","gold","context","continuation"}.

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def strip: sub("^\\s+"; "") | sub("\\s+$"; "");
def preprocess: strip | gsub(" \\[title\\]"; ". ") | gsub("\\[.*?\\]"; "") | gsub("  "; " ");
def capitalize: (.[0:1] | ascii_upcase) + (.[1:] | ascii_downcase);
def query: (.activity_label + ": " + .ctx_a + " " + (.ctx_b | capitalize)) | preprocess;
def target: .label | if type == "string" then tonumber else . end;
def choices: .endings | map(preprocess);

# The few-shot examples of record $n (the document $d, "_fewshot" taken
# off): the fewshot file's records at its "_fewshot" indices, in that
# order, less those equal to $d, the first $shots of them ($pool: the
# fewshot file's records; $shown: each rendered as an example).
def shots($n; $d; $shots; $pool; $shown):
  if $shots == 0 then ""
  else
    ._fewshot as $ix
    | if ($ix | type) != "array" or ($ix | length) != $shots + 1
         or ($ix | any(type != "number" or . < 0 or . >= ($pool | length) or . != floor))
      then error("record \($n): expected \($shots + 1) few-shot indices below \($pool | length) in \"_fewshot\""
                 + " (run ds-draw --sample \($shots + 1) --population \($pool | length) --seed 1234 --field _fewshot first)")
      else [$ix[] | select($pool[.] != $d) | $shown[.]][0:$shots] | add end
  end;

opt("task"; "hellaswag") as $task
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| if $shots > 0 and $shots + 1 > ($pool | length)
  then error("shots: \($shots) asked and 1 more drawn, \($pool | length) in the fewshot file") else . end
| (if $shots == 0 then [] else $pool | map(query + " " + choices[target] + "\n\n") end) as $shown
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| ($d | choices) as $choices
| ($d | target) as $gold
| (($d | shots($n; del(._fewshot); $shots; $pool; $shown)) + ($d | query)) as $context
| range(0; $choices | length) as $i
| {task: $task, doc_id: "\($task)/\($d.ind // $n)", subset: "all", choice: $i, gold: $gold,
   context: $context, continuation: (" " + $choices[$i])}
