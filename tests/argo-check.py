#!/usr/bin/env python3
"""Offline checks of the Argo manifests under pipelines/argo/.

  argo-check.py validate FILE...     each Argo document against the JSON schema
                                     of its kind (tests/schemas); prints
                                     "FILE: KIND NAME: ok" or the errors; exit 1
                                     on any error
  argo-check.py filter SENSOR BODY   applies the Sensor's data filters to a
                                     webhook BODY (JSON) as Argo Events does and
                                     prints "fire" or "skip"

  argo-check.py pod TEMPLATE STEP [NAME=VALUE...] [--item JSON]
                                     the container STEP of the WorkflowTemplate
                                     in TEMPLATE would run, as Argo fills it in:
                                     workflow parameters (their defaults, or
                                     NAME=VALUE), {{workflow.name}} as WORKFLOW,
                                     the inputs the DAG's task passes it, and
                                     {{item.*}} of a withParam item, and the
                                     one expression tag the template uses,
                                     {{=sprig.replace('OLD', 'NEW',
                                     inputs.parameters.NAME)}}; prints
                                     {"command","args","env","outputs"} as JSON
                                     (env without secrets; outputs: each output
                                     parameter's path); exit 1 naming any
                                     parameter or input that has no value, or
                                     an expression it does not evaluate

Argo Events' data filters: `path` is a gjson path (dot-separated keys) into
the event data {"header":..., "body":...}; for type string each `value` is a
Go regular expression matched unanchored (regexp.Match), any one matching
passes; a missing path fails the filter; all filters must pass.
"""
import json
import os
import re
import sys

import jsonschema
import yaml

SCHEMAS = os.environ.get("VE_SCHEMAS", os.path.join(os.path.dirname(__file__), "schemas"))
KINDS = {
    "WorkflowTemplate": ("argo-workflows.schema.json", "io.argoproj.workflow.v1alpha1.WorkflowTemplate"),
    "CronWorkflow": ("argo-workflows.schema.json", "io.argoproj.workflow.v1alpha1.CronWorkflow"),
    "Workflow": ("argo-workflows.schema.json", "io.argoproj.workflow.v1alpha1.Workflow"),
    "EventSource": ("argo-events.schema.json", "io.argoproj.events.v1alpha1.EventSource"),
    "Sensor": ("argo-events.schema.json", "io.argoproj.events.v1alpha1.Sensor"),
}
_loaded = {}


def schema_for(kind):
    fname, defn = KINDS[kind]
    if fname not in _loaded:
        with open(os.path.join(SCHEMAS, fname)) as f:
            _loaded[fname] = json.load(f)
    full = _loaded[fname]
    return {"$ref": "#/definitions/" + defn, "definitions": full["definitions"]}


def validate(files):
    bad = 0
    for path in files:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for d in docs:
            kind = d.get("kind")
            name = d.get("metadata", {}).get("name", "?")
            if kind not in KINDS:
                continue
            v = jsonschema.Draft7Validator(schema_for(kind))
            errs = sorted(v.iter_errors(d), key=lambda e: list(e.absolute_path))
            if errs:
                bad += 1
                for e in errs[:10]:
                    where = "/".join(str(p) for p in e.absolute_path)
                    print("%s: %s %s: %s: %s" % (path, kind, name, where, e.message[:200]))
            else:
                print("%s: %s %s: ok" % (path, kind, name))
    return 1 if bad else 0


def get_path(data, path):
    cur = data
    for key in path.split("."):
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
        elif isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
            cur = cur[int(key)]
        else:
            raise KeyError(path)
    return cur


def sensor_filter(sensor_path, body_path):
    with open(sensor_path) as f:
        sensor = next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Sensor")
    with open(body_path) as f:
        event = {"header": {}, "body": json.load(f)}
    for dep in sensor["spec"]["dependencies"]:
        for flt in dep.get("filters", {}).get("data", []):
            try:
                value = get_path(event, flt["path"])
            except KeyError:
                return "skip"
            if flt["type"] != "string" or not isinstance(value, str):
                return "skip"
            hit = any(re.search(rx, value) for rx in flt["value"])
            if hit != (flt.get("comparator", "=") != "!="):
                return "skip"
    return "fire"


def pod(path, step, settings, item):
    with open(path) as f:
        wt = next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "WorkflowTemplate")
    spec = wt["spec"]
    params = {p["name"]: p.get("value") for p in spec.get("arguments", {}).get("parameters", [])}
    for name, value in settings.items():
        if name not in params:
            raise SystemExit("argo-check.py: the template has no parameter %s" % name)
        params[name] = value
    templates = {t["name"]: t for t in spec["templates"]}
    entry = templates[spec["entrypoint"]]
    tasks = [t for t in entry.get("dag", {}).get("tasks", []) if t["template"] == step]
    if len(tasks) != 1:
        raise SystemExit("argo-check.py: %d DAG tasks run %s" % (len(tasks), step))
    inputs = {}

    def fill(text):
        def one(m):
            kind, name = m.group(1), m.group(2)
            if kind == "workflow.parameters":
                value = params.get(name)
            elif kind == "inputs.parameters":
                value = inputs.get(name)
            elif kind == "item":
                value = (item or {}).get(name)
            else:
                return m.group(0)
            if value is None:
                raise SystemExit("argo-check.py: %s: {{%s.%s}} has no value" % (step, kind, name))
            return str(value)

        def expr(m):
            # sprig.replace(old, new, s): every old in s replaced by new.
            e = re.fullmatch(r"sprig\.replace\('([^']*)', '([^']*)', inputs\.parameters\.([A-Za-z0-9_]+)\)", m.group(1))
            if not e:
                raise SystemExit("argo-check.py: %s: {{=%s}}: not an expression this check evaluates" % (step, m.group(1)))
            value = inputs.get(e.group(3))
            if value is None:
                raise SystemExit("argo-check.py: %s: {{=%s}} has no value" % (step, m.group(1)))
            return value.replace(e.group(1), e.group(2))

        text = text.replace("{{workflow.name}}", "WORKFLOW")
        text = re.sub(r"\{\{=(.*?)\}\}", expr, text)
        return re.sub(r"\{\{(workflow\.parameters|inputs\.parameters|item)\.([A-Za-z0-9_-]+)\}\}", one, text)

    declared = [p["name"] for p in templates[step].get("inputs", {}).get("parameters", [])]
    for p in tasks[0].get("arguments", {}).get("parameters", []):
        if p["name"] not in declared:
            raise SystemExit("argo-check.py: %s: the DAG passes %s, which it does not take" % (step, p["name"]))
        inputs[p["name"]] = fill(p["value"])
    c = templates[step]["container"]
    print(json.dumps({
        "command": [fill(x) for x in c.get("command", [])],
        "args": [fill(x) for x in c.get("args", [])],
        "env": {e["name"]: fill(e["value"]) for e in c.get("env", []) if "value" in e},
        "outputs": {p["name"]: p["valueFrom"]["path"]
                    for p in templates[step].get("outputs", {}).get("parameters", [])},
    }))
    return 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "validate":
        return validate(sys.argv[2:])
    if len(sys.argv) == 4 and sys.argv[1] == "filter":
        print(sensor_filter(sys.argv[2], sys.argv[3]))
        return 0
    if len(sys.argv) >= 4 and sys.argv[1] == "pod":
        settings, item, rest = {}, None, sys.argv[4:]
        while rest:
            if rest[0] == "--item" and len(rest) > 1:
                item = json.loads(rest[1])
                rest = rest[2:]
            elif "=" in rest[0]:
                name, value = rest[0].split("=", 1)
                settings[name] = value
                rest = rest[1:]
            else:
                break
        if not rest:
            return pod(sys.argv[2], sys.argv[3], settings, item)
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
