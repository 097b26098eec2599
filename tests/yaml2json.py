#!/usr/bin/env python3
"""Prints each YAML document of FILE as one line of JSON, for jq in tests."""
import json
import sys

import yaml

with open(sys.argv[1]) as f:
    for doc in yaml.safe_load_all(f):
        if doc:
            print(json.dumps(doc, sort_keys=True))
