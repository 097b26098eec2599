# Answer relevancy judge prompt (DeepEval's AnswerRelevancyMetric, in one call):
# the judge splits the actual output into statements and says of each whether
# it is relevant to the input: {"verdicts": [{"verdict": "yes"|"no"|"idk",
# "reason": "..."}]}. score-gen --judge answer_relevancy scores the share of
# verdicts that are not "no" (no statements scores 1), as DeepEval does.
#
# Input: records {input, actual_output}.
# Run:   jq -c -f share/judge/answer_relevancy.jq CASES.jsonl
# Output: the record with "messages" added.

. + {messages: [
    {role: "system",
     content: "You are an evaluator. Break the actual output into its statements. For each statement, decide whether it is relevant to answering the input: \"yes\" if it is, \"no\" if it is irrelevant, \"idk\" if it is ambiguous or supporting. Reply with JSON only: {\"verdicts\": [{\"verdict\": \"yes\" | \"no\" | \"idk\", \"reason\": \"...\"}]}, one verdict per statement, in order."},
    {role: "user",
     content: ("Input:\n" + (.input | tostring) + "\n\nActual output:\n" + (.actual_output | tostring) + "\n\nJSON:")}]}
