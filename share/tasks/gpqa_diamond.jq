# GPQA-Diamond -> generation query records (chat), one per question.
#
# Mirrors Evalchemy (mlfoundations/evalchemy at commit 6ed674159b37,
# eval/chat_benchmarks/GPQADiamond/eval_instruct.py): the four answers
# [Correct Answer, Incorrect Answer 1, 2, 3] are shuffled by a fresh
# random.Random(42) for every question, lettered A-D, joined as
# "A) ..., B) ..., C) ..., D) ...", and put in its PROMPT, sent as the one
# user message. The gold letter is the first letter whose answer text equals
# the correct answer (Evalchemy's next(...)), so an incorrect answer written
# exactly as the correct one takes the letter if it comes first.
#
# The shuffle is CPython's, drawn by ds-draw(1): run the records through
#   ds-draw --shuffle 4 --seed 42 --reseed
# first (share/suites.json's "draw"), and this template reads the permutation
# from the field _draw (or the one --arg field NAME names): position i holds
# the answer at index _draw[i]. A fresh Random(42) per question gives every
# question the same order, [2,1,3,0]: the correct answer is always D.
#
# Evalchemy samples each question 3 times (temperature 0.7, request seeds 0,
# 1, 2, max_tokens 32768) and reports the mean accuracy over the repeats:
# with --argjson repeats N each question is N records, "sample" 0..N-1, each
# with its .request (seed I; --argjson max_tokens M), which llm-query sends
# as it is; score-gen groups a question's samples. It
# reads the answer as testing_utils.py's get_multiple_choice_answer does: the
# last of \b(A|B|C|D)\b in the upper-cased reply, compared with the letter;
# share/suites.json's scorer_args do the same with score-gen's regex metric
# (a case-blind last match, Unicode word boundaries, letters compared
# case-blind).
#
# Input: the columns of Idavidrein/gpqa (config gpqa_diamond, split train):
# "Question", "Correct Answer", "Incorrect Answer 1".."3", optionally
# "Record ID", plus the _draw field ds-draw added.
# Run:   ds-draw --shuffle 4 --seed 42 --reseed GPQA.jsonl |
#        jq -nc -f share/tasks/gpqa_diamond.jq [--argjson limit N] [--argjson repeats 3]
# Output: {"task":"gpqa_diamond","doc_id":"gpqa_diamond/ID","subset":"all",
#          "gold":"D","prompt":"Return your final ... Answer:",
#          "messages":[{"role":"user","content":PROMPT}]}
#         (with repeats, also "sample":I,"request":{"messages","temperature",
#          "max_tokens","seed":I})

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;

def need_string($n; $k):
  if (.[$k] | type) == "string" then .[$k]
  else error("record \($n): \"\($k)\" is not a string") end;

opt("task"; "gpqa_diamond") as $task
| opt("field"; "_draw") as $field
| ["A", "B", "C", "D"] as $letters
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| [$d | need_string($n; "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
                    "Incorrect Answer 3")] as $answers
| ($d | need_string($n; "Question")) as $q
| $d[$field] as $perm
| if ($perm | type) != "array" or ($perm | sort) != [0, 1, 2, 3] then
    error("record \($n): no permutation of 0..3 in \"\($field)\" (run ds-draw --shuffle 4 --seed 42 --reseed first)")
  else . end
| [$perm[] | $answers[.]] as $shown
| ([range(4) | select($shown[.] == $answers[0])][0]) as $g
| ([range(4) | "\($letters[.])) \($shown[.])"] | join(", ")) as $options
| ("Return your final response within \\boxed{} and only include the letter choice"
   + " (A, B, C, or D) as your final response.\nProblem: " + $q
   + "\nOptions: " + $options + "\nAnswer:") as $prompt
| {task: $task, doc_id: "\($task)/\($d["Record ID"] // $n)", subset: "all",
   gold: $letters[$g], prompt: $prompt,
   messages: [{role: "user", content: $prompt}]} as $rec
| if opt("repeats"; null) == null then $rec
  else
    range(opt("repeats"; null)) as $i
    | $rec + {sample: $i, request: {messages: $rec.messages, temperature: 0.7,
                                     max_tokens: opt("max_tokens"; 32768), seed: $i}}
  end
