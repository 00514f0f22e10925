#!/usr/bin/env python3
"""test_compose — docker-compose.yml and the Dockerfile fit together.

Docker does not run on the test machines, so this checks the structure the
way `docker compose` would use it:
  - without a profile only db and migrate run; profile `demo` gives the
    demo (keys, seed, the fake municipality, the service in development
    mode), profile `service` the service with your keys; no two services of
    one profile publish the same host port;
  - every build target is a Dockerfile stage, and the Dockerfile's last
    stage (the default `docker build` target) is the production `runtime`,
    which never holds the test fixture;
  - every command is a subcommand `mijnzaken --help` lists (fake_zgw: every
    option its --help lists), every MZ_* variable is one the code knows;
  - every bind-mounted file exists (or, under .data/keys, is one that
    scripts/dev-keys.sh creates); depends_on names services of the profile;
  - the demo wiring: the demo agencies file is mounted where MZ_AGENCIES_FILE
    says, its ZGW URL is the fake's --listen address (shared network
    namespace), its secretFile lies in the keys volume, which demo-keys
    fills; no secret is ever a command-line argument.
Environment: MZ_BIN, MZ_SOURCE_DIR, MZ_FIXTURE_DIR (ctest sets them).
"""
import json
import os
import re
import subprocess
import sys

import yaml

SRC = os.environ.get("MZ_SOURCE_DIR", ".")
BIN = os.environ.get("MZ_BIN", "build/mijnzaken")
FIX = os.environ.get("MZ_FIXTURE_DIR", "build")
problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)


def help_of(argv):
    return subprocess.run(argv, capture_output=True, text=True).stdout


def main():
    compose = yaml.safe_load(open(os.path.join(SRC, "docker-compose.yml"), encoding="utf-8"))
    services = compose["services"]
    dockerfile = open(os.path.join(SRC, "Dockerfile"), encoding="utf-8").read()
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.M | re.I)
    froms = re.findall(r"^FROM\s+.*$", dockerfile, re.M | re.I)
    mz_help = help_of([BIN, "--help"])
    subcommands = set(re.findall(r"^  ([a-z][a-z-]+)\b", mz_help.split("Environment variables:")[0], re.M))
    variables = set(re.findall(r"^  (MZ_[A-Z0-9_]+)", mz_help, re.M))
    fake_help = help_of([os.path.join(FIX, "fake_zgw"), "--help"])
    fake_opts = set(re.findall(r"(--[a-z-]+)", fake_help))
    check("serve" in subcommands and len(variables) > 10, "cannot parse mijnzaken --help")
    check("--demo" in fake_opts and "--secret-file" in fake_opts, "cannot parse fake_zgw --help")

    # Profiles.
    def profile_members(p):
        return {n for n, s in services.items() if not s.get("profiles") or p in s.get("profiles", [])}

    check({n for n, s in services.items() if not s.get("profiles")} == {"db", "migrate"},
          "without a profile, exactly db and migrate should run")
    demo = profile_members("demo")
    check({"demo-keys", "demo-seed", "demo-app", "demo-zgw"} <= demo, f"profile demo lacks services: {demo}")
    check("app" not in demo, "the production app must not run in the demo profile")
    check("app" in profile_members("service"), "profile service has no app")
    for p in ("demo", "service"):
        ports = {}
        for n in profile_members(p):
            for port in services[n].get("ports", []):
                host = str(port).rsplit(":", 1)[0]
                check(host not in ports, f"profile {p}: {n} and {ports.get(host)} both publish {host}")
                ports[host] = n
        for n in profile_members(p):
            deps = services[n].get("depends_on", {})
            for d in deps:
                check(d in profile_members(p), f"profile {p}: {n} depends on {d}, not in the profile")

    # Images and stages.
    check(froms and re.search(r"\bAS\s+runtime\s*$", froms[-1], re.I),
          "the Dockerfile's last stage (the default target) must be `runtime`")
    runtime_part = dockerfile[dockerfile.rfind("AS runtime"):]
    check("fake_zgw" not in runtime_part.split("\n", 1)[1] if "\n" in runtime_part else True,
          "the runtime stage must not copy the test fixture")
    check(re.search(r"COPY --from=build /src/build/fake_zgw", dockerfile) is not None,
          "the demo stage copies fake_zgw from the build stage")
    check(re.search(r"--target mijnzaken fake_zgw", dockerfile) is not None,
          "the build stage builds fake_zgw")
    for n, s in services.items():
        target = (s.get("build") or {}).get("target")
        if s.get("build"):
            check(target in stages, f"{n}: build target {target!r} is not a Dockerfile stage {stages}")
        if target == "runtime":
            check(s.get("image") == "mijnzaken:local", f"{n}: runtime target tagged {s.get('image')}")
        if target == "demo":
            check(s.get("image") == "mijnzaken:demo", f"{n}: demo target tagged {s.get('image')}")

    # Commands, variables, no secrets in arguments.
    for n, s in services.items():
        if not s.get("build"):
            continue
        cmd = s.get("command") or []
        entry = s.get("entrypoint")
        if entry == ["fake_zgw"]:
            check((s.get("build") or {}).get("target") == "demo", f"{n}: fake_zgw is only in the demo image")
            for a in cmd:
                if a.startswith("--"):
                    check(a in fake_opts, f"{n}: fake_zgw has no option {a}")
        else:
            check(entry is None, f"{n}: unexpected entrypoint {entry}")
            check(cmd and cmd[0] in subcommands, f"{n}: {cmd[:1]} is not a mijnzaken subcommand")
        check("--secret" not in cmd, f"{n}: a secret on the command line")
        for k in (s.get("environment") or {}):
            if k.startswith("MZ_"):
                check(k in variables, f"{n}: {k} is not a configuration variable of mijnzaken")

    # Files.
    devkeys = open(os.path.join(SRC, "scripts/dev-keys.sh"), encoding="utf-8").read()
    for name, sec in (compose.get("secrets") or {}).items():
        f = sec["file"]
        if f.startswith("./.data/keys/"):
            check(os.path.basename(f) in devkeys, f"secret {name}: {f} is not made by scripts/dev-keys.sh")
        else:
            check(os.path.exists(os.path.join(SRC, f)), f"secret {name}: {f} missing")
    for n, s in services.items():
        for v in s.get("volumes", []):
            host = v.split(":")[0]
            if host.startswith("./"):
                check(os.path.isfile(os.path.join(SRC, host)), f"{n}: bind mount {host} missing")
            else:
                check(host in (compose.get("volumes") or {}), f"{n}: volume {host} not declared")

    # The demo wiring.
    app, zgw, keys, seed = (services[k] for k in ("demo-app", "demo-zgw", "demo-keys", "demo-seed"))
    check(str(app["environment"].get("MZ_DEV_MODE")) == "1", "demo-app: MZ_DEV_MODE must be 1 (the demo login)")
    for s in (app, seed):
        mounts = dict(v.split(":")[:2][::-1] for v in s["volumes"])
        agencies = mounts.get(s["environment"]["MZ_AGENCIES_FILE"])
        check(agencies == "./config/agencies.demo.json", f"MZ_AGENCIES_FILE is not the demo agencies file: {agencies}")
    demo_agencies = json.load(open(os.path.join(SRC, "config/agencies.demo.json"), encoding="utf-8"))
    adapter = demo_agencies["agencies"][0]["adapter"]
    listen = zgw["command"][zgw["command"].index("--listen") + 1]
    check(adapter["zakenUrl"].startswith(f"http://{listen}/"), f"zakenUrl {adapter['zakenUrl']} is not the fake's {listen}")
    check(zgw.get("network_mode") == "service:demo-app", "demo-zgw must share demo-app's network (127.0.0.1)")
    secret_file = adapter.get("secretFile", "")
    key_dir = keys["command"][keys["command"].index("--dir") + 1]
    check(os.path.dirname(secret_file) == key_dir, f"secretFile {secret_file} is not in {key_dir}")
    check(zgw["command"][zgw["command"].index("--secret-file") + 1] == secret_file,
          "the fake and the service must share one secret file")
    for s in (app, zgw, keys):
        check(any(v.startswith("demo-keys:" + key_dir) for v in s["volumes"]), "the keys volume is not mounted everywhere")
    check(re.search(r"mkdir -p " + re.escape(key_dir) + r" && chown 10001:10001", dockerfile) is not None,
          "the demo image must own the key directory (the volume inherits it)")

    for p in problems:
        print("FAIL " + p)
    print(f"{len(services)} services, stages {stages}, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
