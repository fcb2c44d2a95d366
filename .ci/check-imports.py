#!/usr/bin/env python3
"""Fails when a target imports a module it does not declare as a dependency.

SwiftPM's --explicit-target-dependency-import-check covers the package's own targets only; this
covers the products of other packages too, from `swift package dump-package`. A product is taken
to be the module of the same name (true of every dependency this package uses).
"""
import json
import os
import re
import subprocess
import sys

SYSTEM = {"Foundation", "FoundationEssentials", "Glibc", "Musl", "Darwin", "Dispatch", "Synchronization",
          "Testing", "XCTest", "_Concurrency", "os"}
IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public |package |internal |private |fileprivate )?"
                    r"import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)"
                    r"(?:\.[A-Za-z0-9_.]+)?\s*(?://.*)?$")

package = json.loads(subprocess.check_output(["swift", "package", "dump-package"], stderr=subprocess.DEVNULL))
failures = []
for target in package["targets"]:
    if target["type"] == "plugin" or target["type"] == "system":
        continue
    declared = set()
    for dependency in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                declared.add(dependency[kind][0].replace("-", "_"))
    default = ("Tests/" if target["type"] == "test" else "Sources/") + target["name"]
    root = target.get("path") or default
    if not os.path.isdir(root):
        continue
    for directory, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".swift"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as source:
                for number, line in enumerate(source, 1):
                    match = IMPORT.match(line)
                    if match and match.group(1) not in SYSTEM | declared | {target["name"].replace("-", "_")}:
                        failures.append(f"{path}:{number}: {target['name']} imports {match.group(1)}, "
                                        "which it does not declare as a dependency")
for failure in failures:
    print(failure, file=sys.stderr)
sys.exit(1 if failures else 0)
