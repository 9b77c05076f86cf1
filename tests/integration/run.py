"""Runs the integration tests and ends with one plain summary line, 'integration: N passed, N failed', that CI reads
whatever the runner.

    run.py [MODULE ...]              the test_*.py modules of this folder by default
    run.py --exclude MODULE [...]    all of them but these (scripts/test runs the pages' browser tests after the
                                     rest: run.py --exclude test_pages, then run.py test_pages)

The HAPI FHIR servers are named by GG_HAPI_BASES ("URL1,URL2,..."), or by GG_HAPI_BASE alone (one server). Each
server gets a shard of the modules; the shards run at the same time, the modules of one shard one after another,
each in a process of its own (python -m unittest -v MODULE, with the shard's GG_HAPI_BASE). The tests assume they are
alone on their HAPI (a gateway's REST-hook Subscription receives every matching Observation), so no two modules ever
share a server at the same time. The modules are dealt longest first, each to the shard with the least work so far,
by the durations measured in durations.json beside this file (a module not in it counts DEFAULT_COST_S); the run
prints every module's duration at the end for updating it.

Each module process gets its own range of ports (GG_PORT_RANGE, honoured by harness.free_port): a port one shard has
picked and not bound yet is never handed to another, and no module gets the port of an earlier module's gateway,
which HAPI may still be retrying deliveries to. A module's output is printed whole when it ends, with a line saying
how it went, so parallel shards do not interleave their lines (with one shard it is printed as it comes).
"""
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_COST_S = 60
PORTS_PER_MODULE = 200
PORTS_FROM = 10000  # the module port ranges lie between this and the kernel's ephemeral range

print_lock = threading.Lock()


def say(text):
    with print_lock:
        print(text, flush=True)


def hapi_bases():
    listed = [b.strip() for b in os.environ.get("GG_HAPI_BASES", "").split(",") if b.strip()]
    if listed:
        return listed
    return [os.environ.get("GG_HAPI_BASE")]  # None: the harness's default


def deal(modules, shards, costs):
    """Longest first, each module to the shard with the least estimated work so far (the first such on a tie)."""
    assigned = [[] for _ in range(shards)]
    load = [0.0] * shards
    for module in sorted(modules, key=lambda m: (-costs.get(m, DEFAULT_COST_S), m)):
        shard = load.index(min(load))
        assigned[shard].append(module)
        load[shard] += costs.get(module, DEFAULT_COST_S)
    return [sorted(a) for a in assigned], load


def port_ranges(count):
    """count disjoint ranges of ports below the kernel's ephemeral range (where bind(0) and outgoing connections take
    theirs), starting at a random place so that two runs on one machine rarely use the same ports."""
    try:
        ephemeral_low = int(pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    span = min(PORTS_PER_MODULE, (ephemeral_low - PORTS_FROM) // max(count, 1))
    if span < 20:
        raise SystemExit(f"run.py: too many modules ({count}) for the ports below {ephemeral_low}")
    first = random.randrange(PORTS_FROM, ephemeral_low - span * count + 1)
    return [f"{first + i * span}-{first + (i + 1) * span - 1}" for i in range(count)]


def counts(output, status):
    """(tests run, passed, failed) from unittest's closing lines; a module whose run cannot be read counts as one
    failure."""
    ran = re.findall(r"^Ran (\d+) tests? in ", output, re.M)
    verdict = re.findall(r"^(OK|FAILED)(?: \((.*)\))?$", output, re.M)
    if not ran or not verdict:
        return 0, 0, 1
    numbers = {}
    for part in (verdict[-1][1] or "").split(","):
        if "=" in part:
            name, value = part.strip().split("=")
            numbers[name] = int(value)
    ran = int(ran[-1])
    failed = numbers.get("failures", 0) + numbers.get("errors", 0) + numbers.get("unexpected successes", 0)
    if status != 0 and failed == 0:
        failed = 1  # unittest said OK but the process failed (a crash at exit, a leak check): not a pass
    return ran, max(ran - failed - numbers.get("skipped", 0), 0), failed


class Shard:
    def __init__(self, number, base, modules, estimate, ports):
        self.number = number
        self.base = base
        self.modules = modules
        self.estimate = estimate
        self.ports = ports  # {module: "LOW-HIGH"}
        self.results = []  # (module, seconds, ran, passed, failed)
        self.seconds = 0.0

    def name(self):
        return f"shard {self.number}" + (f" ({self.base})" if self.base else "")

    def run(self, live):
        started = time.monotonic()
        for done, module in enumerate(self.modules, 1):
            env = dict(os.environ, GG_PORT_RANGE=self.ports[module], PYTHONUNBUFFERED="1")
            if self.base:
                env["GG_HAPI_BASE"] = self.base
            env.pop("GG_HAPI_BASES", None)
            t0 = time.monotonic()
            if live:
                say(f"---- {module} [{self.name()}]")
            process = subprocess.Popen([sys.executable, "-m", "unittest", "-v", module], cwd=HERE, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                       errors="replace")
            lines = []
            for line in process.stdout:
                lines.append(line)
                if live:
                    with print_lock:
                        sys.stdout.write(line)
                        sys.stdout.flush()
            status = process.wait()
            seconds = time.monotonic() - t0
            output = "".join(lines)
            ran, passed, failed = counts(output, status)
            self.results.append((module, seconds, ran, passed, failed))
            verdict = f"{passed} passed, {failed} failed, {seconds:.0f} s"
            if failed and not ran:
                verdict += f" (no unittest summary; exit status {status})"
            end = f"---- {module} [{self.name()}, {done}/{len(self.modules)}]: {verdict}"
            if live:
                say(end)
            else:
                say(f"---- {module} [{self.name()}]\n{output.rstrip()}\n{end}")
        self.seconds = time.monotonic() - started


def main():
    available = sorted(p.stem for p in HERE.glob("test_*.py"))
    args = [m.removesuffix(".py") for m in sys.argv[1:]]
    excluded = []
    if args[:1] == ["--exclude"]:
        excluded, args = args[1:], []
    modules = args or [m for m in available if m not in excluded]
    unknown = [m for m in modules + excluded if m not in available]
    if unknown:
        raise SystemExit(f"run.py: no such test module here: {', '.join(unknown)}")
    costs = json.loads((HERE / "durations.json").read_text())
    bases = hapi_bases()
    dealt, estimates = deal(modules, len(bases), costs)
    ports = dict(zip(modules, port_ranges(len(modules))))
    shards = [Shard(i + 1, base, dealt[i], estimates[i], ports) for i, base in enumerate(bases) if dealt[i]]
    for shard in shards:
        say(f"{shard.name()}: {len(shard.modules)} modules, about {shard.estimate:.0f} s: {' '.join(shard.modules)}")
    live = len(shards) == 1
    threads = [threading.Thread(target=shard.run, args=(live,), daemon=True) for shard in shards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    say("")
    for shard in shards:
        for module in shard.modules[len(shard.results):]:  # the shard's thread died before running them
            shard.results.append((module, 0.0, 0, 0, 1))
        ran = sum(r[2] for r in shard.results)
        failed = sum(r[4] for r in shard.results)
        say(f"{shard.name()}: {shard.seconds:.0f} s, {ran} tests, {failed} failed: "
            + ", ".join(f"{m} {s:.0f} s" for m, s, *_ in shard.results))
    durations = {m: round(s) for shard in shards for m, s, *_ in shard.results}
    say("module durations in s (for durations.json): " + json.dumps(dict(sorted(durations.items()))))
    results = [r for shard in shards for r in shard.results]
    ran = sum(r[2] for r in results)
    passed = sum(r[3] for r in results)
    failed = sum(r[4] for r in results)
    say(f"integration: {passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and ran > 0 else 1)


if __name__ == "__main__":
    main()
