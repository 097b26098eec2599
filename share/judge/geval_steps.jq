# G-Eval's first call (DeepEval 4.1.10's GEval, generate_evaluation_steps):
# the judge turns the criteria into 3-4 evaluation steps, once per
# criteria; every case is then judged by the same steps (geval.jq).
#
# Run:   jq -nc -f share/judge/geval_steps.jq --arg criteria TEXT --arg params 'Input, Actual Output, and Expected Output'
# Output: one chat request; the reply is {"steps": [TEXT, ...]}.
# The wording is vllm-eval's, the structure and the JSON DeepEval's.

{id: "geval/steps", messages: [{role: "user", content: (
"You are given evaluation criteria for judging the \($params). Write 3-4 concise evaluation steps that follow from the criteria. The steps MUST make clear how the \($params) are to be weighed against one another.

Evaluation Criteria:
\($criteria)

**
IMPORTANT: Reply in JSON only, with the \"steps\" key holding a list of strings. No other words or explanation.
Example JSON:
{
  \"steps\": <list_of_strings>
}
**

JSON:")}]}
