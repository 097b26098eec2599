# MMLU (cais/mmlu) -> query records.
#
# Mirrors lm-evaluation-harness lm_eval/tasks/mmlu/default/_default_template_yaml
# and the per-subject description its _generate_configs.py writes:
#   description  "The following are multiple choice questions (with answers) about
#                 SUBJECT.\n\n" (SUBJECT with "_" turned into " ")
#   doc_to_text  "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\n
#                 C. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:"
#   doc_to_choice ["A", "B", "C", "D"], doc_to_target answer,
#   fewshot_split dev, sampler first_n; examples "TEXT A\n\n".
#
# Input: cais/mmlu records {question, subject, choices, answer}.
# Run:   jq -nc -f share/tasks/mmlu.jq [--arg mode ll|letter|gen] [--argjson shots N]
#           [--slurpfile fewshot DEV.jsonl] [--argjson limit N] TEST.jsonl
# Few-shot examples are the first N dev records of the same subject.
# Output, mode ll (the default): one record per letter,
#   {"task":"mmlu","doc_id":"mmlu/SUBJECT/N","subset":SUBJECT,"group":CATEGORY,"choice","gold",
#    "context","continuation"}
# modes letter and gen: one record per question with "prompt" and "choices".
# N counts the records read, from 0.

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def strip: sub("^\\s+"; "") | sub("\\s+$"; "");
def letters: ["A", "B", "C", "D"];
def text: (.question | strip) + "\nA. " + .choices[0] + "\nB. " + .choices[1]
          + "\nC. " + .choices[2] + "\nD. " + .choices[3] + "\nAnswer:";
# lm-eval's subject categories (the tag of each lm_eval/tasks/mmlu/default/mmlu_SUBJECT.yaml:
# mmlu_stem_tasks ...): score-mcq aggregates subjects into them, then them into mmlu.
def groups: {
  "abstract_algebra": "stem", "anatomy": "stem", "astronomy": "stem",
  "business_ethics": "other", "clinical_knowledge": "other", "college_biology": "stem",
  "college_chemistry": "stem", "college_computer_science": "stem", "college_mathematics": "stem",
  "college_medicine": "other", "college_physics": "stem", "computer_security": "stem",
  "conceptual_physics": "stem", "econometrics": "social_sciences", "electrical_engineering": "stem",
  "elementary_mathematics": "stem", "formal_logic": "humanities", "global_facts": "other",
  "high_school_biology": "stem", "high_school_chemistry": "stem", "high_school_computer_science": "stem",
  "high_school_european_history": "humanities", "high_school_geography": "social_sciences", "high_school_government_and_politics": "social_sciences",
  "high_school_macroeconomics": "social_sciences", "high_school_mathematics": "stem", "high_school_microeconomics": "social_sciences",
  "high_school_physics": "stem", "high_school_psychology": "social_sciences", "high_school_statistics": "stem",
  "high_school_us_history": "humanities", "high_school_world_history": "humanities", "human_aging": "other",
  "human_sexuality": "social_sciences", "international_law": "humanities", "jurisprudence": "humanities",
  "logical_fallacies": "humanities", "machine_learning": "stem", "management": "other",
  "marketing": "other", "medical_genetics": "other", "miscellaneous": "other",
  "moral_disputes": "humanities", "moral_scenarios": "humanities", "nutrition": "other",
  "philosophy": "humanities", "prehistory": "humanities", "professional_accounting": "other",
  "professional_law": "humanities", "professional_medicine": "other", "professional_psychology": "social_sciences",
  "public_relations": "social_sciences", "security_studies": "social_sciences", "sociology": "social_sciences",
  "us_foreign_policy": "social_sciences", "virology": "other", "world_religions": "humanities"
};
def description: "The following are multiple choice questions (with answers) about "
                  + (.subject | gsub("_"; " ")) + ".\n\n";

opt("task"; "mmlu") as $task
| opt("mode"; "ll") as $mode
| opt("shots"; 0) as $shots
| opt("fewshot"; []) as $pool
| if ($mode | IN("ll", "letter", "gen")) then . else error("mode: expected ll, letter or gen, got \($mode)") end
| foreach (limit(opt("limit"; -1) | if . < 0 then infinite else . end; inputs)) as $d
    (-1; . + 1; [., $d])
| . as [$n, $d]
| ($d | description
     + ([$pool[] | select(.subject == $d.subject)][0:$shots]
        | map(text + " " + letters[.answer] + "\n\n") | add // "")
     + text) as $context
| {task: $task, doc_id: "\($task)/\($d.subject)/\($n)", subset: $d.subject}
  + (groups[$d.subject] // null | if . then {group: .} else {} end) as $head
| if $mode == "ll" then
    range(0; 4) as $i
    | $head + {choice: $i, gold: $d.answer, context: $context, continuation: (" " + letters[$i])}
  else
    $head + {gold: $d.answer, prompt: $context, choices: letters}
  end
