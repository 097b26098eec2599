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
# The subset is the Category in lower case with "_" for spaces and hyphens
# (lm-eval's subtask names: kmmlu_korean_history for Korean-History), the
# group its category (stem, applied_science, humss, other); few-shot examples
# are dev records of the same Category: those at the record's "_fewshot"
# indices into them when it has some, else the first N. lm-eval draws them
# (each subject a task of its own with random.Random(1234), sample(its dev
# records, N) per document): ds-draw --sample N --group .Category
# --population-of (the subject's dev count) --seed 1234 --field _fewshot
# writes those indices (suites.json's fewshot_draw, run-benchmarks.sh).
# Output as share/tasks/mmlu.jq: doc_id "kmmlu/SUBSET/N".

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def strip: sub("^\\s+"; "") | sub("\\s+$"; "");
def letters: ["A", "B", "C", "D"];
def text: (.question | strip) + "\nA. " + .A + "\nB. " + .B + "\nC. " + .C + "\nD. " + .D
          + "\n정답：";
def subset: .Category | ascii_downcase | gsub("[ -]"; "_");
# lm-eval's categories (the tag of each lm_eval/tasks/kmmlu/default/kmmlu_SUBSET.yaml:
# kmmlu_stem_tasks ...): score-mcq aggregates subsets into them, then them into kmmlu.
def groups: {
  "accounting": "humss", "agricultural_sciences": "other", "aviation_engineering_and_maintenance": "applied_science",
  "biology": "stem", "chemical_engineering": "stem", "chemistry": "stem",
  "civil_engineering": "stem", "computer_science": "stem", "construction": "other",
  "criminal_law": "humss", "ecology": "stem", "economics": "humss",
  "education": "humss", "electrical_engineering": "stem", "electronics_engineering": "applied_science",
  "energy_management": "applied_science", "environmental_science": "applied_science", "fashion": "other",
  "food_processing": "other", "gas_technology_and_engineering": "applied_science", "geomatics": "applied_science",
  "health": "other", "industrial_engineer": "applied_science", "information_technology": "stem",
  "interior_architecture_and_design": "other", "korean_history": "humss", "law": "humss",
  "machine_design_and_manufacturing": "applied_science", "management": "humss", "maritime_engineering": "applied_science",
  "marketing": "other", "materials_engineering": "stem", "math": "stem",
  "mechanical_engineering": "stem", "nondestructive_testing": "applied_science", "patent": "other",
  "political_science_and_sociology": "humss", "psychology": "humss", "public_safety": "other",
  "railway_and_automotive_engineering": "applied_science", "real_estate": "other", "refrigerating_machinery": "other",
  "social_welfare": "humss", "taxation": "humss", "telecommunications_and_wireless_technology": "applied_science"
};


opt("task"; "kmmlu") as $task
| opt("mode"; "ll") as $mode
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| if ($mode | IN("ll", "letter", "gen")) then . else error("mode: expected ll, letter or gen, got \($mode)") end
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| ($d | subset) as $subset
| ([$pool[] | select(.Category == $d.Category)] as $same
   | if $d._fewshot then [$d._fewshot[] | $same[.]] else $same[0:$shots] end
   | map(text + " " + letters[.answer - 1] + "\n\n") | add // "") as $prefix
| {task: $task, doc_id: "\($task)/\($subset)/\($n)", subset: $subset}
  + (groups[$subset] // null | if . then {group: .} else {} end) as $head
| if $mode == "ll" then
    range(0; 4) as $i
    | $head + {choice: $i, gold: ($d.answer - 1), context: ($prefix + ($d | text)),
               continuation: (" " + letters[$i])}
  else
    $head + {gold: ($d.answer - 1), prompt: ($prefix + ($d | text)), choices: letters}
  end
