# Hallucination judge prompt (DeepEval's HallucinationMetric, in one call): for
# each context the judge says whether the actual output agrees with it:
# "yes", or "no" when the output contradicts it. score-gen --judge
# hallucination scores the share of contexts contradicted (lower is better; an
# item passes at --pass-threshold or below), as DeepEval does.
#
# Input: records {input?, actual_output, context: [TEXT...]}.
# Run:   jq -c -f share/judge/hallucination.jq CASES.jsonl
# Output: the record with "messages" added.

((.context // []) | if type == "array" then . else [.] end) as $ctx
| . + {messages: [
    {role: "system",
     content: "You are an evaluator. For each numbered context, decide whether the actual output agrees with it: \"yes\" if it agrees or does not contradict it, \"no\" if the actual output contradicts it. Reply with JSON only: {\"verdicts\": [{\"verdict\": \"yes\" | \"no\", \"reason\": \"...\"}]}, one verdict per context, in order."},
    {role: "user",
     content: ("Contexts:\n" + ([$ctx | to_entries[] | "\(.key + 1). \(.value)"] | join("\n"))
               + "\n\nActual output:\n" + (.actual_output | tostring) + "\n\nJSON:")}]}
