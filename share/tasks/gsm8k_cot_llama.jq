# GSM8K, chain of thought as Meta evaluates Llama 3 -> chat query records.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/gsm8k/gsm8k-cot-llama.yaml (task
# gsm8k_cot_llama, version 4.0, as of commit
# 4e7e0d47f33bc71070c1d38394bafbb52b117163), run as its README says, with
# --apply_chat_template --fewshot_as_multiturn: each of the first N (8 in
# its suite entry) of its 8 fixed exemplars (fewshot_config samples,
# sampler first_n) is a user turn, the problem in doc_to_text, and an
# assistant turn, its target; then the problem's user turn. No system turn.
# doc_to_target is the answer after its last "####", stripped. Generation
# until "<|eot_id|>", "<|start_header_id|>user<|end_header_id|>", "Q:",
# "</s>", "<|im_end|>", greedy (suites.json passes them to llm-query).
# score-gen scores its filters strict-match ("The final answer is
# ((-?[$0-9.,]{2,})|(-?[0-9]+))", the last match) and flexible-extract
# ("(-?[$0-9.,]{2,})|(-?[0-9]+)", the last) by exact_match as gsm8k's
# (suites.json's scorer_args, score-gen(1)).
#
# Input: GSM8K records {question, answer}, one per line (openai/gsm8k "main").
# Run:   jq -nc -f share/tasks/gsm8k_cot_llama.jq [--argjson shots N]
#           [--argjson limit N] TEST.jsonl
# Output: {"task":"gsm8k_cot_llama","doc_id":"gsm8k_cot_llama/N","subset":"all",
#          "gold":"72","messages":[{"role":"user","content":"Given ..."}, ...]}

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def text: "Given the following problem, reason and give a final answer to the problem.\nProblem: "
	+ .question
	+ "\nYour response should end with \"The final answer is [answer]\" where [answer] is the response to the problem.\n";
# Python's str.strip() of the ASCII white space GSM8K answers hold.
def strip: sub("^[ \t\n\r\f\u000b]+"; "") | sub("[ \t\n\r\f\u000b]+$"; "");
def exemplars: [
  {question: "There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?",
   target: "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The final answer is 6"},
  {question: "If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
   target: "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The final answer is 5"},
  {question: "Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
   target: "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The final answer is 39"},
  {question: "Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did Jason give to Denny?",
   target: "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. The final answer is 8"},
  {question: "Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?",
   target: "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. The final answer is 9"},
  {question: "There were nine computers in the server room. Five more computers were installed each day, from monday to thursday. How many computers are now in the server room?",
   target: "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The final answer is 29"},
  {question: "Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf balls did he have at the end of wednesday?",
   target: "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The final answer is 33"},
  {question: "Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
   target: "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The final answer is 8"}
];

opt("task"; "gsm8k_cot_llama") as $task
| opt("shots"; 8) as $shots
| if $shots > (exemplars | length) then error("shots: \($shots) asked, the task has \(exemplars | length) exemplars") else . end
| (exemplars[0:$shots] | map({role: "user", content: text}, {role: "assistant", content: .target})) as $turns
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| if ($d.question | type) != "string" or ($d.answer | type) != "string"
  then error("record \($n): expected {question, answer} strings") else . end
| {task: $task, doc_id: "\($task)/\($n)", subset: "all",
   gold: ($d.answer | split("####") | last | strip),
   messages: ($turns + [{role: "user", content: ($d | text)}])}
