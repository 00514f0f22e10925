#!/usr/bin/env python3
"""test_demo_secrets — the demo's secrets stay private.

The run command once passed the demo ZGW secret on fake_zgw's command line
(visible to every local user in `ps`) and wrote it with mode 0644. Now:
  - scripts/run.sh gives fake_zgw the secret as a file (--secret-file), puts
    it in no argument and no environment variable, and makes the file 0600;
  - `mijnzaken init-dev` and scripts/dev-keys.sh (the key-only path, no
    build) create every private file with mode 0600 (public key 0644), and
    leave existing ones alone;
  - fake_zgw started with --secret-file serves, and its command line does
    not hold the secret (checked in /proc/<pid>/cmdline); a secret file
    others can read is refused (also in test_demo_data.c);
  - the demo agencies file (as run.sh rewrites it) passes check-config;
  - run.sh gives fake_notify its API key as a file (--api-key-file) and makes
    the demo's notification key files 0600; the demo templates file parses.
Environment: MZ_BIN, MZ_SOURCE_DIR, MZ_FIXTURE_DIR (ctest sets them).
"""
import os
import re
import stat
import subprocess
import sys
import tempfile

SRC = os.environ.get("MZ_SOURCE_DIR", ".")
BIN = os.environ.get("MZ_BIN", "build/mijnzaken")
FIX = os.environ.get("MZ_FIXTURE_DIR", "build")
problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def check_keys(d, who):
    for f in ("jwt-private.pem", "pseudonym.key", "zgw-demo.secret"):
        p = os.path.join(d, f)
        check(os.path.isfile(p), f"{who}: {f} missing")
        if os.path.isfile(p):
            check(mode(p) == 0o600, f"{who}: {f} has mode {oct(mode(p))}, want 0600")
            check(len(open(p).read().strip()) >= 32, f"{who}: {f} is too short")
    p = os.path.join(d, "jwt-public.pem")
    check(os.path.isfile(p) and mode(p) == 0o644, f"{who}: jwt-public.pem missing or not 0644")


def main():
    run_sh = open(os.path.join(SRC, "scripts/run.sh"), encoding="utf-8").read()
    code = "\n".join(l for l in run_sh.splitlines() if not l.lstrip().startswith("#"))
    fake_lines = [l for l in re.split(r"(?<!\\)\n", code) if "/fake_zgw\"" in l]
    check(fake_lines, "run.sh no longer starts fake_zgw?")
    for l in fake_lines:
        check(re.search(r"--secret(\s|=)", l) is None, f"run.sh passes a secret as an argument: {l.strip()}")
        check("--secret-file" in l, f"run.sh starts fake_zgw without --secret-file: {l.strip()}")
    check(re.search(r"(export\s+MZ_DEMO_ZGW_SECRET|MZ_DEMO_ZGW_SECRET=)", code) is None,
          "run.sh puts the demo secret in the environment")
    check(re.search(r'chmod 600 "\$DATA/keys/zgw-demo.secret"', code) is not None,
          "run.sh does not make the secret file 0600")
    # The fake NotifyNL: its API key from a file (never --api-key-env nor an
    # argument); the demo's notification keys and token are 0600.
    notify_lines = [l for l in re.split(r"(?<!\\)\n", code) if "/fake_notify\"" in l]
    check(notify_lines, "run.sh no longer starts fake_notify?")
    for l in notify_lines:
        check("--api-key-file" in l and "--api-key-env" not in l,
              f"run.sh starts fake_notify without --api-key-file: {l.strip()}")
    check(re.search(r'chmod 600 "\$ND/api.key" "\$ND/contact.key" "\$ND/callback.token"', code) is not None,
          "run.sh does not make the demo's notification secrets 0600")
    check(re.search(r"export\s+MZ_NOTIFY_API_KEY_FILE=\$ND/api\.key", code) is not None,
          "run.sh does not give the service the demo Notify key as a file")
    check("--init-only" in code and "scripts/dev-keys.sh" in code.split("scripts/deps.sh")[0],
          "run.sh --init-only must make keys before (without) building")

    with tempfile.TemporaryDirectory() as tmp:
        # init-dev and dev-keys.sh: 0600 from the start, idempotent.
        for who, argv in (("init-dev", [BIN, "init-dev", "--dir"]),
                          ("dev-keys.sh", [os.path.join(SRC, "scripts/dev-keys.sh")])):
            d = os.path.join(tmp, who)
            r = subprocess.run(argv + [d], capture_output=True, text=True)
            check(r.returncode == 0, f"{who} failed: {r.stderr}")
            check_keys(d, who)
            before = {f: open(os.path.join(d, f)).read() for f in os.listdir(d)}
            subprocess.run(argv + [d], capture_output=True, text=True)
            after = {f: open(os.path.join(d, f)).read() for f in os.listdir(d)}
            check(before == after, f"{who}: a second run changed existing keys")
        # dev-keys.sh's keys work with the service: a token signs.
        d = os.path.join(tmp, "dev-keys.sh")
        env = dict(os.environ, MZ_JWT_PRIVATE_KEY_FILE=os.path.join(d, "jwt-private.pem"),
                   MZ_PSEUDONYM_KEY_FILE=os.path.join(d, "pseudonym.key"))
        r = subprocess.run([BIN, "dev-token", "--bsn", "999993653"], env=env, capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout.startswith("eyJ"), f"dev-token with dev-keys.sh's key: {r.stderr}")

        # fake_zgw with --secret-file: serves; the secret is not in its argv.
        secret_path = os.path.join(d, "zgw-demo.secret")
        secret = open(secret_path).read().strip()
        p = subprocess.Popen([os.path.join(FIX, "fake_zgw"), "--listen", "127.0.0.1:0", "--demo",
                              "--secret-file", secret_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()
            check(line.startswith("listening port="), f"fake_zgw --secret-file did not start: {line!r}")
            cmdline = open(f"/proc/{p.pid}/cmdline", "rb").read().decode()
            check(secret not in cmdline, "the secret is on fake_zgw's command line")
        finally:
            p.terminate()
            p.wait(timeout=10)
        os.chmod(secret_path, 0o640)
        r = subprocess.run([os.path.join(FIX, "fake_zgw"), "--secret-file", secret_path],
                           capture_output=True, text=True, timeout=10)
        check(r.returncode != 0 and "owner only" in r.stderr, "fake_zgw accepted a group-readable secret file")

        # The demo agencies file, rewritten as run.sh does, is valid.
        agencies = open(os.path.join(SRC, "config/agencies.demo.json"), encoding="utf-8").read()
        os.chmod(secret_path, 0o600)
        path = os.path.join(tmp, "agencies.json")
        open(path, "w").write(agencies.replace("127.0.0.1:8091", "127.0.0.1:18091").replace("/run/mijnzaken/keys", d))
        r = subprocess.run([BIN, "check-config"], env=dict(os.environ, MZ_AGENCIES_FILE=path),
                           capture_output=True, text=True)
        check(r.returncode == 0, f"check-config on the demo agencies file: {r.stdout} {r.stderr}")

    # The demo's Notify templates file has the form notify.h describes: every
    # kind, both channels, each a uuid (mz_notify_templates_parse refuses
    # anything else, and serve would not start).
    import json
    tpl = json.load(open(os.path.join(SRC, "config/notify-templates.demo.json"), encoding="utf-8"))
    uuid_re = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    check(set(tpl) == {"verification", "statusChange", "actionRequired", "decision"},
          f"demo templates: kinds {sorted(tpl)}")
    for kind, chans in tpl.items():
        check(set(chans) == {"email", "sms"} and all(uuid_re.match(v) for v in chans.values()),
              f"demo templates: {kind} needs a uuid for email and sms")

    for msg in problems:
        print("FAIL " + msg)
    print(f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
