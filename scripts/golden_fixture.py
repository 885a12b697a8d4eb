"""What the golden-value scripts share: writing a fixture file the tests read.

Each fixture is one JSON document: the generating script, torch's version, the dtype, the cases
and any extra fields. Floats are written with repr, the shortest string that reads back to the
same double, so a regenerated fixture is byte-identical when nothing changed.
"""
import json
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_fixture(out, generator, cases, **extra):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    doc = {"generator": generator, "torch_version": torch.__version__, "dtype": "float64",
           "cases": cases, **extra}
    with open(out, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(out, ROOT)}")
