#!/usr/bin/env python3
"""Offline checks of the Argo manifests under pipelines/argo/.

  argo-check.py validate FILE...     each Argo document against the JSON schema
                                     of its kind (tests/schemas); prints
                                     "FILE: KIND NAME: ok" or the errors; exit 1
                                     on any error
  argo-check.py filter SENSOR BODY   applies the Sensor's data filters to a
                                     webhook BODY (JSON) as Argo Events does and
                                     prints "fire" or "skip"

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


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "validate":
        return validate(sys.argv[2:])
    if len(sys.argv) == 4 and sys.argv[1] == "filter":
        print(sensor_filter(sys.argv[2], sys.argv[3]))
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
