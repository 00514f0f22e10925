#!/usr/bin/env python3
"""test_readme_config — README's configuration table says what the code does.

The one source is the table in service/config.c, printed by `mijnzaken --help`
("  MZ_NAME  meaning (default: X)"). README.md's "## Configuration" table
("| `MZ_NAME` | default | meaning |") must list exactly the same variables,
each with the same default:

  help says      README's default cell must start with
  ------------   -----------------------------------------------------------
  a value V      `V` (backticked); for a path, `P` where V ends with /P
                 (the portal's directory is fixed at build time)
  empty          "empty"
  unset          "unset", or "—" (a required variable has no default)

Generic on purpose: a variable added to config.c fails this test until the
README lists it, and the reverse.
Environment: MZ_BIN (the built mijnzaken), MZ_SOURCE_DIR (the repository).
"""
import os
import re
import subprocess
import sys


def help_table(binary):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
    rows = {}
    in_env = False
    for line in out.splitlines():
        if line.startswith("Environment variables:"):
            in_env = True
            continue
        m = re.match(r"^  (MZ_[A-Z0-9_]+)\s+.*\(default: (.*)\)$", line) if in_env else None
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def readme_table(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^## Configuration\n(.*?)(?=^## )", text, re.S | re.M)
    if not m:
        raise SystemExit("README.md has no '## Configuration' section")
    rows = {}
    for line in m.group(1).splitlines():
        m2 = re.match(r"^\|\s*`(MZ_[A-Z0-9_]+)`\s*\|([^|]*)\|", line)
        if m2:
            if m2.group(1) in rows:
                raise SystemExit(f"README lists {m2.group(1)} twice")
            rows[m2.group(1)] = m2.group(2).strip()
    return rows


def default_matches(code, cell):
    if code == "empty":
        return cell.startswith("empty")
    if code == "unset":
        return cell.startswith("unset") or cell.startswith("—")
    m = re.match(r"^`([^`]*)`", cell)
    if not m:
        return False
    doc = m.group(1)
    return doc == code or ("/" in doc and code.endswith("/" + doc))


def main():
    binary = os.environ.get("MZ_BIN")
    src = os.environ.get("MZ_SOURCE_DIR")
    if not binary or not src:
        print("MZ_BIN and MZ_SOURCE_DIR must be set (ctest sets them)")
        return 1
    code = help_table(binary)
    doc = readme_table(os.path.join(src, "README.md"))
    problems = []
    if len(code) < 10:
        problems.append(f"only {len(code)} variables parsed from --help: its format changed?")
    for name in sorted(set(code) - set(doc)):
        problems.append(f"{name}: in the code (default {code[name]!r}) but not in README's table")
    for name in sorted(set(doc) - set(code)):
        problems.append(f"{name}: in README's table but not in the code")
    for name in sorted(set(code) & set(doc)):
        if not default_matches(code[name], doc[name]):
            problems.append(f"{name}: README says {doc[name]!r}, the code's default is {code[name]!r}")
    for p in problems:
        print("FAIL " + p)
    print(f"{len(code)} variables in the code, {len(doc)} in README, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
