# Faithfulness judge prompt (DeepEval's FaithfulnessMetric, in one call): the
# judge lists the claims of the actual output and says of each whether the
# retrieval context supports it: "yes" (supported), "no" (contradicted by
# the context), "idk" (not mentioned). score-gen --judge faithfulness scores
# the share of claims not contradicted (no claims scores 1), as DeepEval does.
#
# Input: records {input?, actual_output, retrieval_context: [TEXT...]} (or context).
# Run:   jq -c -f share/judge/faithfulness.jq CASES.jsonl
# Output: the record with "messages" added.

((.retrieval_context // .context // []) | if type == "array" then . else [.] end) as $ctx
| . + {messages: [
    {role: "system",
     content: "You are an evaluator. List every factual claim made in the actual output. For each claim, decide whether the retrieval context supports it: \"yes\" if the context agrees, \"no\" only if the context contradicts it, \"idk\" if the context does not say. Reply with JSON only: {\"verdicts\": [{\"verdict\": \"yes\" | \"no\" | \"idk\", \"reason\": \"...\"}]}, one verdict per claim, in order."},
    {role: "user",
     content: ("Retrieval context:\n" + ($ctx | map("- " + tostring) | join("\n"))
               + "\n\nActual output:\n" + (.actual_output | tostring) + "\n\nJSON:")}]}
