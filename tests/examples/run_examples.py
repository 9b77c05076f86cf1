"""`analyze` over the official FHIR R4 examples (npm package hl7.fhir.r4.examples@4.0.1): every example whose
top-level resourceType is Observation or Bundle goes through `gradient-gateway analyze`, in batches.

What a user relies on: real-world FHIR that is not a hormone result (patients, vital signs, terminology bundles,
documents, messages, ...) never crashes the gateway and is reported as skipped, not as an error; only results of
the analyte catalogue (config/terminology/analytes.yaml: the hormones and the co-analytes it lists) that cannot be
used are rejected, and those rejections are printed, not failed on.

    python3 tests/examples/run_examples.py [PACKAGE_DIR]

PACKAGE_DIR (or env GG_FHIR_EXAMPLES) is the package/ folder of the examples; without either it is fetched with
scripts/lib/fhir-examples. GG_BINARY names the binary (default build/release/bin/gradient-gateway), GG_CONFIG the
configuration (default the repository's config/). Ends with one plain line 'examples: N passed, N failed' (N files).
"""
import collections
import json
import os
import pathlib
import re
import resource
import subprocess
import sys
import time
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("GG_BINARY", str(REPO / "build/release/bin/gradient-gateway"))
CONFIG = os.environ.get("GG_CONFIG", str(REPO / "config"))
AS_OF = "2026-01-01T00:00:00Z"
BATCH_SIZE = 200
BATCH_TIMEOUT_S = 600
FILE_TIMEOUT_S = 120
LOINC = "http://loinc.org"
# The resource types the decoder materialises (fhir/resources.hpp, fhir::Resource); any other type is read as
# OtherResource{type, id, meta} and skipped, so its content can never be a reason to reject it.
MODELLED = {"Observation", "Patient", "RiskAssessment", "CarePlan", "Provenance", "Subscription", "OperationOutcome",
            "ConceptMap", "Bundle"}

# Examples the decoder may refuse because the example itself is invalid FHIR R4: file name -> (a fragment of the
# expected diagnostics, why the example is wrong). Any other decode error of an example fails: it means our decoder
# is stricter than FHIR R4. Empty: every Observation and Bundle example of 4.0.1 decodes (checked 2026-11).
KNOWN_INVALID_EXAMPLES = {}

# Non-hormone Observations checked by name, each alone: read 1, skipped 1 as an Observation, nothing rejected.
NAMED_SKIPS = {
    "Observation-example.json": "body weight, LOINC 29463-7",
    "Observation-heart-rate.json": "heart rate, LOINC 8867-4",
    "Observation-blood-pressure.json": "blood pressure panel with components, LOINC 85354-9",
    "Observation-decimal.json": "decimal edge cases, no coding",
    "Observation-656.json": "sampled data (ECG), ISO 11073 code",
    "Observation-example-genetics-1.json": "genetics with extensions, LOINC 55233-1",
}
# A Bundle of Patients only: everything read is skipped.
PATIENT_BUNDLE = "Bundle-b248b1b2-1686-4b94-9936-37d7a5f94b51.json"

SUMMARY = re.compile(r"^analyze: read (\d+), hormone results (\d+), skipped (\d+)(?: \((.*)\))?, rejected (\d+), "
                     r"patients (\d+), written (\d+)$")
ENTRY_INDEX = re.compile(r"Bundle\.entry\[(\d+)\]")
REFERENCE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?: version [^ ]+)? not used \(")


def hormone_codes():
    """The LOINC codes of the analyte catalogue in the configuration (a plain scan: the file is stdlib-unfriendly
    YAML, and only '- code: NNNN-N' lines under loinc: matter here)."""
    path = pathlib.Path(CONFIG)
    path = path / "terminology" / "analytes.yaml" if path.is_dir() else path.parent / "terminology" / "analytes.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return set()
    return set(re.findall(r"^\s*-\s*code:\s*['\"]?(\d{1,7}-\d)['\"]?\s*(?:#.*)?$", text, re.MULTILINE))


HORMONE_CODES = hormone_codes()


def is_hormone(resource_json):
    if not isinstance(resource_json, dict) or resource_json.get("resourceType") != "Observation":
        return False
    codings = (resource_json.get("code") or {}).get("coding") or []
    return any(isinstance(c, dict) and c.get("system") == LOINC and c.get("code") in HORMONE_CODES for c in codings)


def decode_judgement(example, positions):
    """Why a decode error of these entries (none: the whole document) is a failure, worst case first."""
    if positions:
        refused = [example.resources[example.entry_positions.index(p)] for p in sorted(positions)
                   if p in example.entry_positions]
    else:
        refused = [example.document]
    kinds = [str(r.get("resourceType")) for r in refused]
    unmodelled = sorted({k for k in kinds if k not in MODELLED})
    if unmodelled:
        return (f"a resource type we do not model ({', '.join(unmodelled)}) was treated as an error: the decoder is "
                "too strict (such resources only need resourceType to be skipped)")
    if any(k == "Observation" and not is_hormone(r) for k, r in zip(kinds, refused)):
        return ("a non-hormone Observation was treated as an error: the decoder is too strict (such an Observation "
                "is skipped from its code alone)")
    others = sorted({k for k in kinds if k != "Observation"})
    if others:
        return (f"a {'/'.join(others)} (modelled, not a hormone result) was refused: if the example is really "
                "invalid FHIR R4, list it in KNOWN_INVALID_EXAMPLES with the reason; otherwise the decoder is too "
                "strict")
    return ("a hormone Observation was refused by the decoder: if the example is really invalid FHIR R4, list it "
            "in KNOWN_INVALID_EXAMPLES with the reason")


class Example:
    """One example file: what a reader of the JSON expects analyze to see in it."""

    def __init__(self, path, document):
        self.path = path
        self.name = path.name
        self.document = document
        if document.get("resourceType") == "Bundle":
            # analyze hands over each entry's resource (a nested Bundle is one resource); entries without a resource
            # (batch requests, responses) are nothing to read.
            self.resources = [e["resource"] for e in document.get("entry") or []
                              if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
            self.entry_positions = [i for i, e in enumerate(document.get("entry") or [])
                                    if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
        else:
            self.resources = [document]
            self.entry_positions = [None]

    def type_counts(self, excluding_entries=()):
        counts = collections.Counter()
        for position, res in zip(self.entry_positions, self.resources):
            if position not in excluding_entries:
                counts[str(res.get("resourceType"))] += 1
        return counts

    def find(self, kind, ident):
        for res in self.resources:
            if res.get("resourceType") == kind and res.get("id") == ident:
                return res
        return None


def select_examples(package_dir):
    """Every *.json of the package whose top-level resourceType is Observation or Bundle (package.json, .index.json
    and the other resources are left out), sorted by name."""
    selected, unreadable = [], []
    for path in sorted(pathlib.Path(package_dir).glob("*.json")):
        if path.name.startswith(".") or path.name == "package.json":
            continue
        try:
            document = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as error:
            unreadable.append((path.name, str(error)))
            continue
        if isinstance(document, dict) and document.get("resourceType") in ("Observation", "Bundle"):
            selected.append(Example(path, document))
    return selected, unreadable


def no_core_dumps():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Run:
    """One analyze invocation."""

    def __init__(self, examples, timeout):
        self.examples = examples
        self.command = [BINARY, "analyze", "--config", CONFIG, "--as-of", AS_OF] + [str(e.path) for e in examples]
        started = time.monotonic()
        self.timed_out = False
        try:
            done = subprocess.run(self.command, capture_output=True, timeout=timeout, preexec_fn=no_core_dumps)
            self.returncode, stdout, stderr = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired as expired:
            self.timed_out = True
            self.returncode, stdout, stderr = None, expired.stdout or b"", expired.stderr or b""
        self.seconds = time.monotonic() - started
        self.stdout = stdout.decode("utf-8", "replace")
        self.stderr_lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]

    @property
    def crashed(self):
        return self.timed_out or self.returncode not in (0, 1, 2)

    def status_text(self):
        if self.timed_out:
            return "timed out (hang?)"
        if self.returncode < 0:
            return f"killed by signal {-self.returncode}"
        return f"exit status {self.returncode}"

    def stderr_tail(self, lines=6):
        return "\n      ".join(line[:400] for line in self.stderr_lines[-lines:]) or "(no stderr)"

    def gdb_command(self):
        return "gdb -batch -ex run -ex bt --args " + " ".join(self.command)


class Outcome:
    """What analyze said about some example files, checked; problems are failures, findings are printed."""

    def __init__(self):
        self.problems = collections.defaultdict(list)  # category -> ["file: message"]
        self.failed_files = set()
        self.crashes = []          # (file, status, stderr tail, gdb command)
        self.decode_findings = []  # (file, diagnostics, accepted?, judgement)
        self.hormone_rejections = []  # (file, diagnostics)
        self.read = 0
        self.skipped_by_type = collections.Counter()

    def add_totals(self, counts, types):
        self.read += counts["read"]
        self.skipped_by_type.update(types)

    def problem(self, category, names, message):
        names = [names] if isinstance(names, str) else list(names)
        self.problems[category].append(f"{', '.join(names) if len(names) <= 3 else f'{len(names)} files'}: {message}")
        self.failed_files.update(names)


def parse_summary(line):
    """The last stderr line: (counts dict, skipped by type Counter) or None when it is not the summary."""
    try:
        outcome = json.loads(line)
        issue = outcome["issue"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if outcome.get("resourceType") != "OperationOutcome" or issue.get("severity") != "information":
        return None
    match = SUMMARY.match(issue.get("diagnostics", ""))
    if not match:
        return None
    read, hormones, skipped, by_type, rejected, patients, written = match.groups()
    types = collections.Counter()
    for item in re.split(r", (?=[A-Z])", by_type or ""):
        if item:
            kind, _, count = item.rpartition(" ")
            types[kind] += int(count)
    return {"read": int(read), "hormone": int(hormones), "skipped": int(skipped), "rejected": int(rejected),
            "patients": int(patients), "written": int(written)}, types


def resource_type_of(kind):
    """'Observation (not a hormone)' -> 'Observation'."""
    return kind.split(" ", 1)[0]


class Said:
    """One run's standard error and output, classified: the summary, decode errors (naming a file), rejected
    results (naming a resource), and lines that are none of these."""

    def __init__(self, run):
        self.summary = parse_summary(run.stderr_lines[-1]) if run.stderr_lines else None
        self.decode = []     # (example, positions, message, expressions, diagnostics)
        self.rejected = []   # (type, id, diagnostics)
        self.garbage = []    # stderr lines that are not OperationOutcomes
        self.unattributed = []  # OperationOutcomes that name neither a file of the run nor a resource
        by_path = {str(e.path) + ":": e for e in run.examples}
        for line in run.stderr_lines[:-1]:
            try:
                rejection = json.loads(line)
                issues = rejection["issue"]
                if rejection.get("resourceType") != "OperationOutcome" or not issues:
                    raise ValueError("not an OperationOutcome with issues")
                diagnostics = [str(i.get("diagnostics", "")) for i in issues]
                expressions = [e for i in issues for e in i.get("expression") or []]
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                self.garbage.append(f"{error}: {line[:300]}")
                continue
            prefix = next((p for p in by_path if diagnostics[0].startswith(p)), None)
            if prefix is not None:
                message = "; ".join(d[len(prefix):].strip() if d.startswith(prefix) else d for d in diagnostics)
                positions = {int(m) for text in diagnostics + expressions for m in ENTRY_INDEX.findall(text)}
                self.decode.append((by_path[prefix], positions, message, expressions, diagnostics))
                continue
            reference = REFERENCE.match(diagnostics[0])
            if reference:
                self.rejected.append((reference.group(1), reference.group(2), diagnostics[0]))
                continue
            self.unattributed.append(line[:300])
        self.stdout_error = None
        try:
            bundle = json.loads(run.stdout)
            written = self.summary[0]["written"] if self.summary else None
            if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction" or \
                    (written is not None and len(bundle.get("entry") or []) != written):
                raise ValueError(f"not a transaction Bundle of {written} entries")
        except (ValueError, AttributeError) as error:
            self.stdout_error = f"{error}: {run.stdout[:200]}"


def accounting_mistakes(counts, types, expected, analysis_rejections, rejection_lines, returncode=None):
    """Everything read is a result of the catalogue, skipped, or rejected as such a result; everything the files hold
    is read unless the decoder refused it; each resource type is skipped exactly as often as it occurs."""
    skipped = collections.Counter()
    for kind, count in types.items():
        skipped[resource_type_of(kind)] += count
    mistakes = []
    if counts["read"] != counts["hormone"] + counts["skipped"] + analysis_rejections:
        mistakes.append(f"read {counts['read']} != hormone results {counts['hormone']} + skipped {counts['skipped']} "
                        f"+ rejected results {analysis_rejections}")
    if counts["skipped"] != sum(types.values()):
        mistakes.append(f"skipped {counts['skipped']} != the sum of skipped by type {sum(types.values())}")
    if counts["read"] != sum(expected.values()):
        mistakes.append(f"read {counts['read']}, but the file(s) hold {sum(expected.values())} decodable resources")
    if counts["rejected"] != rejection_lines:
        mistakes.append(f"rejected {counts['rejected']}, but {rejection_lines} rejection line(s) were printed")
    if returncode is not None and (counts["rejected"] == 0) != (returncode == 0):
        mistakes.append(f"exit status {returncode} with rejected {counts['rejected']}")
    for kind in sorted(set(expected) | set(skipped)):
        if kind == "Observation":
            if skipped[kind] + counts["hormone"] + analysis_rejections != expected[kind]:
                mistakes.append(f"Observations: {expected[kind]} in the file(s), but skipped {skipped[kind]} + hormone "
                                f"results {counts['hormone']} + rejected {analysis_rejections}")
        elif skipped[kind] != expected[kind]:
            mistakes.append(f"{kind}: {expected[kind]} in the file(s), skipped {skipped[kind]}")
    if counts["hormone"] + analysis_rejections < sum(expected.values()) and counts["skipped"] == 0:
        mistakes.append("nothing skipped, though not everything read is a hormone result")
    return mistakes


def check_single(run, outcome, record_totals=True):
    """Checks one analyze run over one example file, with every assertion; returns the summary (or None)."""
    example = run.examples[0]
    names = [example.name]
    if run.crashed:
        outcome.crashes.append((example.name, run.status_text(), run.stderr_tail(), run.gdb_command()))
        outcome.problem("crash", names, f"analyze crashed ({run.status_text()}); stderr tail:\n      "
                        f"{run.stderr_tail()}\n    reproduce: {run.gdb_command()}")
        return None
    if run.returncode == 2:
        outcome.problem("usage", names, f"analyze exit status 2 (usage or configuration error): {run.stderr_tail()}")
        return None
    said = Said(run)
    if said.summary is None:
        outcome.problem("stderr", names, "the last stderr line is not the summary OperationOutcome: "
                        f"{run.stderr_lines[-1][:300] if run.stderr_lines else '(no stderr)'}")
        return None
    for garbage in said.garbage:
        outcome.problem("stderr", names, f"a stderr line is not an OperationOutcome: {garbage}")
    for line in said.unattributed:
        outcome.problem("stderr", names, f"a rejection names neither the file nor a resource: {line}")
    if said.stdout_error:
        outcome.problem("stdout", names, f"standard output is not the transaction Bundle: {said.stdout_error}")

    broken_entries, whole_document_rejected = set(), False
    for _, positions, message, expressions, diagnostics in said.decode:
        if positions:
            broken_entries |= positions
        else:
            whole_document_rejected = True
        where = f" [{', '.join(expressions[:3])}]" if expressions else ""
        known = KNOWN_INVALID_EXAMPLES.get(example.name)
        if known and known[0] in " ".join(diagnostics):
            outcome.decode_findings.append((example.name, message + where, True, f"invalid example: {known[1]}"))
            continue
        judgement = decode_judgement(example, positions)
        outcome.decode_findings.append((example.name, message + where, False, judgement))
        outcome.problem("decode", names, f"decode error: {message}{where}\n    -> {judgement}")
    for kind, ident, diagnostics in said.rejected:
        target = example.find(kind, ident)
        if target is not None and is_hormone(target):
            outcome.hormone_rejections.append((example.name, diagnostics))
        else:
            outcome.problem("non-hormone rejected", names,
                            f"{kind}/{ident} was rejected but is not a result of the analyte catalogue "
                            f"({len(HORMONE_CODES)} LOINC codes in {CONFIG}): {diagnostics}")

    counts, types = said.summary
    if said.decode and counts["read"] == 0:
        whole_document_rejected = True  # a fatal issue refuses the whole file, whatever entries it names
    expected = collections.Counter() if whole_document_rejected else example.type_counts(broken_entries)
    mistakes = accounting_mistakes(counts, types, expected, len(said.rejected), len(run.stderr_lines) - 1,
                                   run.returncode)
    if mistakes:
        outcome.problem("accounting", names, "; ".join(mistakes) + f" (summary: {run.stderr_lines[-1][:400]})")
    if record_totals:
        outcome.add_totals(counts, types)
    return said.summary


def pinned_files(run, batch):
    """The files a clean batch run's rejections name (decode errors by path, rejected results by the files that hold
    a resource of that type and id), or None when the batch run cannot be trusted as a whole (a crash, a hang, exit
    status 2, a missing summary, stray stderr, a bad stdout, a rejected id that no file holds)."""
    if run.crashed or run.returncode == 2:
        return None
    said = Said(run)
    if said.summary is None or said.garbage or said.unattributed or said.stdout_error:
        return None
    pinned = {example.name for example, *_ in said.decode}
    for kind, ident, _ in said.rejected:
        holders = [e.name for e in batch if e.find(kind, ident) is not None]
        if not holders:
            return None
        pinned.update(holders)  # ids repeat across examples (o1, o2, ...): each holder is checked alone
    return pinned


def rest_adds_up(run, batch, single_summaries):
    """The batch's summary less the single runs' summaries accounts exactly for the other files."""
    counts, types = Said(run).summary
    rest_counts, rest_types = dict(counts), collections.Counter(types)
    for single_counts, single_types in single_summaries.values():
        for key in rest_counts:
            rest_counts[key] -= single_counts[key]
        rest_types.subtract(single_types)
    if any(v < 0 for v in rest_types.values()):
        return False
    rest_types = collections.Counter({k: v for k, v in rest_types.items() if v})
    expected = collections.Counter()
    for example in batch:
        if example.name not in single_summaries:
            expected.update(example.type_counts())
    return not accounting_mistakes(rest_counts, rest_types, expected, 0, 0)


def check_batch(batch, outcome):
    """One analyze over the whole batch. When it is clean, or its rejections can be pinned on a few files, those
    few are checked alone and the rest by the batch's totals; anything else (a crash, a hang, exit status 2, totals
    that do not add up) is rerun file by file, which names the file. Returns the seconds spent and whether the
    batch had to be rerun file by file."""
    run = Run(batch, BATCH_TIMEOUT_S)
    seconds = run.seconds
    pinned = pinned_files(run, batch)
    single_summaries = {}
    if pinned is not None:
        for example in batch:
            if example.name in pinned:
                single = Run([example], FILE_TIMEOUT_S)
                seconds += single.seconds
                single_summaries[example.name] = check_single(single, outcome, record_totals=False)
        if all(s is not None for s in single_summaries.values()) and rest_adds_up(run, batch, single_summaries):
            outcome.add_totals(*Said(run).summary)
            return seconds, False

    for example in batch:
        if example.name in single_summaries:
            if single_summaries[example.name] is not None:
                outcome.add_totals(*single_summaries[example.name])
            continue
        single = Run([example], FILE_TIMEOUT_S)
        seconds += single.seconds
        check_single(single, outcome)
    names = {e.name for e in batch}
    if run.crashed and not any(crash[0] in names for crash in outcome.crashes):
        outcome.problem("crash", sorted(names), f"the batch crashed ({run.status_text()}) but no file crashes alone; "
                        f"stderr tail:\n      {run.stderr_tail()}\n    reproduce: {' '.join(run.command)}")
    return seconds, True


class UnusableSetup(Exception):
    """analyze cannot run at all (binary missing, configuration refused): no example is to blame."""


def probe():
    """analyze over an empty input: exit status 1 (one rejected input) shows that the binary and the configuration
    work, so that a later exit status 2 is the examples' doing, and a configuration error is reported once."""
    if not os.access(BINARY, os.X_OK):
        raise UnusableSetup(f"no executable analyze binary at {BINARY} (set GG_BINARY)")
    command = [BINARY, "analyze", "--config", CONFIG, "--as-of", AS_OF, os.devnull]
    done = subprocess.run(command, capture_output=True, timeout=FILE_TIMEOUT_S, preexec_fn=no_core_dumps)
    if done.returncode not in (0, 1):
        tail = "\n  ".join(done.stderr.decode("utf-8", "replace").splitlines()[-8:])
        raise UnusableSetup(f"analyze over an empty input gave exit status {done.returncode}, not 1: a usage or "
                            f"configuration problem (or a crash), not the examples':\n  {' '.join(command)}\n  {tail}")


def analyse_all(examples):
    probe()
    outcome = Outcome()
    batches = [examples[i:i + BATCH_SIZE] for i in range(0, len(examples), BATCH_SIZE)]
    outcome.seconds, outcome.batches, outcome.reruns = 0.0, len(batches), 0
    for batch in batches:
        seconds, rerun = check_batch(batch, outcome)
        outcome.seconds += seconds
        outcome.reruns += rerun
    return outcome


def package_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    if os.environ.get("GG_FHIR_EXAMPLES"):
        return os.environ["GG_FHIR_EXAMPLES"]
    fetched = subprocess.run([str(REPO / "scripts/lib/fhir-examples")], capture_output=True, text=True)
    if fetched.returncode != 0:
        raise UnusableSetup(f"scripts/lib/fhir-examples failed:\n{fetched.stderr}")
    return fetched.stdout.strip()


class State:
    examples = None
    unreadable = None
    outcome = None
    named = None  # file name -> Outcome of that file alone


def prepare():
    if State.outcome is not None:
        return
    directory = pathlib.Path(package_dir())
    State.examples, State.unreadable = select_examples(directory)
    State.outcome = analyse_all(State.examples)
    by_name = {e.name: e for e in State.examples}
    State.named = {}
    for name in list(NAMED_SKIPS) + [PATIENT_BUNDLE]:
        single = Outcome()
        if name in by_name:
            single.run = Run([by_name[name]], FILE_TIMEOUT_S)
            check_single(single.run, single)
        State.named[name] = single
    report()


def report():
    o = State.outcome
    print(f"\nFHIR R4 examples: {len(State.examples)} files (Observation and Bundle), {o.read} resources read, "
          f"{o.batches} batch(es), {o.reruns} of them rerun file by file, analyze took {o.seconds:.1f} s")
    for name, error in State.unreadable:
        print(f"  not JSON (left out): {name}: {error}")
    print("  skipped by type (top 10): " + ", ".join(f"{k} {n}" for k, n in o.skipped_by_type.most_common(10)))
    print(f"  rejected results of the analyte catalogue (printed, not failures): {len(o.hormone_rejections)}")
    for name, diagnostics in o.hormone_rejections:
        print(f"    {name}: {diagnostics.splitlines()[0][:300]}")
    print(f"  decode errors: {len(o.decode_findings)}")
    for name, message, accepted, judgement in o.decode_findings:
        print(f"    {name}: {message[:300]}\n      {'accepted' if accepted else 'FAIL'}: {judgement}")
    print(f"  crashes: {len(o.crashes)}")
    for name, status, tail, gdb in o.crashes:
        print(f"    {name}: {status}\n      {tail}\n      {gdb}")
    sys.stdout.flush()


class ExamplesThroughAnalyze(unittest.TestCase):
    """The FHIR R4 examples through `analyze`: a user feeding any real FHIR to the gateway gets no crash, skipped
    non-hormone resources, and rejections only for hormone results."""

    @classmethod
    def setUpClass(cls):
        prepare()
        cls.outcome = State.outcome

    def assertNoProblems(self, *categories):
        found = [p for c in categories for p in self.outcome.problems.get(c, [])]
        self.assertFalse(found, "\n  " + "\n  ".join(found))

    def test_examples_were_found(self):
        """The package holds the Observation and Bundle examples (a wrong folder would pass everything)."""
        self.assertGreater(len(State.examples), 50, "too few Observation/Bundle examples: wrong package folder?")
        self.assertTrue(any(e.name == "Observation-example.json" for e in State.examples))

    def test_no_example_crashes_analyze(self):
        """Whatever FHIR a site sends, analyze ends with an exit status, never a signal or a hang."""
        self.assertNoProblems("crash")

    def test_no_example_is_a_usage_or_configuration_error(self):
        """Exit status 2 means usage or configuration: input files must never cause it."""
        self.assertNoProblems("usage")

    def test_stderr_is_operation_outcomes_ending_with_the_summary(self):
        """Scripts parse standard error: one OperationOutcome per line, the summary last; stdout is the Bundle."""
        self.assertNoProblems("stderr", "stdout")

    def test_non_hormone_resources_are_skipped_and_counted(self):
        """Every resource read is a hormone result, skipped (by its type), or a rejected hormone result."""
        self.assertNoProblems("accounting")
        self.assertGreater(sum(self.outcome.skipped_by_type.values()), 0)

    def test_only_hormone_results_are_rejected(self):
        """A rejection names a hormone Observation; a non-hormone resource is never an error."""
        self.assertNoProblems("non-hormone rejected")

    def test_decoder_accepts_valid_examples(self):
        """The decoder refuses only examples that are really invalid FHIR R4 (KNOWN_INVALID_EXAMPLES)."""
        self.assertNoProblems("decode")

    def test_named_non_hormone_observations_are_skipped_not_rejected(self):
        """Body weight, glucose, blood pressure, ... are read and skipped as Observations, with nothing rejected."""
        for name, what in NAMED_SKIPS.items():
            with self.subTest(example=name, what=what):
                single = State.named[name]
                self.assertTrue(hasattr(single, "run"), f"{name} ({what}) is not among the examples")
                self.assertFalse(is_hormone(json.loads(pathlib.Path(single.run.examples[0].path).read_bytes())),
                                 f"{name} ({what}) is now in the analyte catalogue: pick another non-hormone example")
                self.assertFalse(dict(single.problems), f"{name} ({what}): {dict(single.problems)}")
                summary = parse_summary(single.run.stderr_lines[-1])
                self.assertIsNotNone(summary, f"{name}: no summary")
                counts, types = summary
                self.assertEqual((counts["read"], counts["skipped"], counts["rejected"], counts["hormone"]),
                                 (1, 1, 0, 0), f"{name} ({what}): {single.run.stderr_lines[-1]}")
                self.assertEqual([resource_type_of(k) for k in types], ["Observation"], f"{name}: {types}")
                self.assertEqual(single.run.returncode, 0, f"{name} ({what})")

    def test_bundle_of_patients_is_read_and_skipped(self):
        """A Bundle of Patients only: read == skipped, all Patients, nothing rejected."""
        single = State.named[PATIENT_BUNDLE]
        self.assertTrue(hasattr(single, "run"), f"{PATIENT_BUNDLE} is not among the examples")
        self.assertFalse(dict(single.problems), f"{PATIENT_BUNDLE}: {dict(single.problems)}")
        counts, types = parse_summary(single.run.stderr_lines[-1])
        self.assertGreater(counts["read"], 0)
        self.assertEqual(counts["read"], counts["skipped"], single.run.stderr_lines[-1])
        self.assertEqual(dict(types), {"Patient": counts["read"]})
        self.assertEqual(counts["rejected"], 0)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(ExamplesThroughAnalyze)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    errors = len(result.errors) + len(result.unexpectedSuccesses)
    if State.examples is None:
        print("examples: 0 passed, 1 failed")
        return 1
    if State.outcome is None:  # analyze could not run at all (setUpClass says why)
        print(f"examples: 0 passed, {max(len(State.examples), 1)} failed")
        return 1
    failed_files = State.outcome.failed_files | {n for n, s in (State.named or {}).items() if s.failed_files}
    failed = len(failed_files)
    if failed == 0 and (result.failures or errors):
        failed = 1  # a failure not tied to a file (e.g. too few examples) still fails
    print(f"examples: {max(len(State.examples) - failed, 0)} passed, {failed} failed")
    return 0 if result.wasSuccessful() and result.testsRun > 0 and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
