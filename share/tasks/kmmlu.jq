# KMMLU (HAERAE-HUB/KMMLU) -> query records.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/kmmlu/default/_default_kmmlu_yaml:
#   doc_to_text  "{{question.strip()}}\nA. {{A}}\nB. {{B}}\nC. {{C}}\nD. {{D}}\n정답："
#                (정답 and U+FF1A FULLWIDTH COLON), no description,
#   doc_to_choice ["A", "B", "C", "D"], doc_to_target "{{answer-1}}" (answer is 1-4),
#   fewshot_split dev; examples "TEXT A\n\n" (the default delimiters).
# The generative variant (lm_eval/tasks/kmmlu/direct/_direct_kmmlu_yaml) has the
# same prompt; score it with score-mcq --mode gen.
#
# Input: KMMLU records {question, A, B, C, D, answer, Category}.
# Run:   jq -nc -f share/tasks/kmmlu.jq [--arg mode ll|letter|gen] [--argjson shots N]
#           [--slurpfile fewshot DEV.jsonl] [--argjson limit N] TEST.jsonl
# The subset is the Category in lower case with "_" for spaces (lm-eval's
# subtask names: kmmlu_accounting ...); few-shot examples are the first N dev
# records of the same Category.
# Output as share/tasks/mmlu.jq: doc_id "kmmlu/SUBSET/N".

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def strip: sub("^\\s+"; "") | sub("\\s+$"; "");
def letters: ["A", "B", "C", "D"];
def text: (.question | strip) + "\nA. " + .A + "\nB. " + .B + "\nC. " + .C + "\nD. " + .D
          + "\n정답：";
def subset: .Category | ascii_downcase | gsub(" "; "_");

opt("task"; "kmmlu") as $task
| opt("mode"; "ll") as $mode
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| if ($mode | IN("ll", "letter", "gen")) then . else error("mode: expected ll, letter or gen, got \($mode)") end
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| ($d | subset) as $subset
| ([$pool[] | select(.Category == $d.Category)][0:$shots]
   | map(text + " " + letters[.answer - 1] + "\n\n") | add // "") as $prefix
| {task: $task, doc_id: "\($task)/\($subset)/\($n)", subset: $subset} as $head
| if $mode == "ll" then
    range(0; 4) as $i
    | $head + {choice: $i, gold: ($d.answer - 1), context: ($prefix + ($d | text)),
               continuation: (" " + letters[$i])}
  else
    $head + {gold: ($d.answer - 1), prompt: ($prefix + ($d | text)), choices: letters}
  end
