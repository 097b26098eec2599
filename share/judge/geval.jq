# G-Eval judge prompt (DeepEval's GEval metric, in one call): the judge reads
# the criteria and the test case and replies {"score": 0-10, "reason": "..."}.
# score-gen --judge geval turns the score into score/10, or into the
# expectation over the score token's top logprobs when the request asked for
# them (llm-query --logprobs 20), as G-Eval weights the score by probability.
#
# Input: records {input, actual_output, expected_output?, context?} and the
# criteria, from the record's .criteria or --arg criteria TEXT.
# Run:   jq -c -f share/judge/geval.jq --arg criteria 'Is the answer correct?' CASES.jsonl
# Output: the record with "messages" added (chat request for llm-query).

def opt($k; $d): if $ARGS.named | has($k) then $ARGS.named[$k] else $d end;
def section($name; $v): if $v == null then "" else "\n\n" + $name + ":\n" + ($v | if type == "string" then . else tojson end) end;

(.criteria // opt("criteria"; null)) as $criteria
| if $criteria == null then error("no criteria: give --arg criteria TEXT or a .criteria field") else . end
| . + {messages: [
    {role: "system",
     content: "You are an evaluator. Judge the test case only by the evaluation criteria. Reply with JSON only: {\"score\": an integer from 0 (fails the criteria entirely) to 10 (meets them fully), \"reason\": a short reason}."},
    {role: "user",
     content: ("Evaluation criteria:\n" + $criteria
               + section("Input"; .input)
               + section("Actual output"; .actual_output)
               + section("Expected output"; .expected_output)
               + section("Context"; .context)
               + "\n\nJSON:")}]}
