"""Applies `-S` overrides to params files with DVC's own code and prints the
results, for comparing with Retort's in-place edits.

Run with the Python of a DVC installation, with a JSON list of cases on stdin:
    [{"file_name": "params.yaml", "content": "...", "overrides": ["a=1"]}, ...]

Prints a JSON list with one result per case: {"ok": true, "text": NEW_TEXT}, or
{"ok": false, "error": MESSAGE} when DVC rejects the overrides. Each case runs on
its own copy of the file in a temporary directory.
"""

import json
import os
import sys
import tempfile

from dvc.utils.hydra import apply_overrides


def run(case):
    with tempfile.TemporaryDirectory() as directory:
        target = os.path.join(directory, case["file_name"])
        with open(target, "w", encoding="utf-8") as stream:
            stream.write(case["content"])
        try:
            apply_overrides(target, case["overrides"])
        except Exception as error:  # noqa: BLE001 - any failure is a rejection
            return {"ok": False, "error": f"{type(error).__name__}: {error} ({error.__cause__!r})"}
        with open(target, encoding="utf-8") as stream:
            return {"ok": True, "text": stream.read()}


def main():
    cases = json.load(sys.stdin)
    json.dump([run(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
