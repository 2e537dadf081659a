"""`openvino-ui bench` end to end on the trivial fake case: rounds, records, report and plot.

Timings are never asserted (benchmarks are not pass/fail tests); only the shape of the output.
"""

import importlib.util
import json

from openvino_ui.bench.core import Case, Metric, ratio, run_case
from openvino_ui.cli import main


def test_bench_command_writes_records_report_and_plot(tmp_path):
    out, md = tmp_path / "results", tmp_path / "BENCHMARKS.md"
    rc = main(
        ["bench", "--areas", "fake", "--threads", "1", "--no-probe", "--out", str(out), "--markdown", str(md)]
    )
    assert rc == 0
    (record,) = json.loads((out / "results.json").read_text())
    assert record["case"] == "fake-numpy-vs-python" and record["threads"] == 1
    assert len(record["rounds"]) == 3
    for key in ("engine", "peer", "ratio_median", "abs", "quality", "probe", "resolved", "metrics"):
        assert key in record
    summary = record["metrics"]["items_per_s"]
    assert summary["ratio_min"] <= summary["ratio_median"] <= summary["ratio_max"]
    text = md.read_text()
    assert "fake-numpy-vs-python" in text
    if importlib.util.find_spec("matplotlib"):  # plots come with the `bench` extra
        assert (out / "fake.png").stat().st_size > 0 and "fake.png" in text
        assert (out / "cases" / "fake-numpy-vs-python.png").stat().st_size > 0
        assert "cases/fake-numpy-vs-python.png" in text


def test_latency_ratio_is_inverted_and_failures_are_recorded():
    assert ratio(Metric("ms", "ms", higher_is_better=False), 10.0, 30.0) == 3.0
    assert ratio(Metric("tok_s", "tok/s"), 10.0, 5.0) == 2.0

    def broken(threads):
        raise RuntimeError("peer not installed")

    case = Case("broken", "fake", "a", "b", [Metric("x", "u")], make=broken)
    record = run_case(case, 1, 3, 0, {})
    assert "peer not installed" in record["error"] and "rounds" not in record


def test_quick_leaves_the_settings_sweep_and_the_int4_sweep_to_full():
    from openvino_ui.bench.cases import default_areas, load_cases

    assert "settings" not in default_areas(full=False) and "settings" in default_areas(full=True)
    assert "fake" not in default_areas(full=True)
    quick = [c.name for c in load_cases(("chat",), full=False)]
    full = [c.name for c in load_cases(("chat",), full=True)]
    assert sum("int4" in n for n in quick) == 1 < sum("int4" in n for n in full)


def test_serving_lists_the_rest_cases_against_their_targets():
    from openvino_ui.bench.cases import load_cases

    cases = {c.name: c for c in load_cases(("serving",), full=False)}
    assert {"serving-stream", "serving-call", "rest-call", "rest-stream"} <= set(cases)
    targets = {m.name: m.target for m in cases["rest-call"].metrics}
    assert targets["over_echo_ms"] == 1.0  # REST - echo against the 5 ms budget
    assert cases["rest-stream"].metrics[0].target == 0.95


def _probe(family, flags):
    return {"time": 1.0, "cpu": {"model": "Test CPU", "family": family, "flags": flags, "nproc": 2}}


def test_records_of_other_cpu_families_stay_and_get_a_section_each(tmp_path):
    """A rerun on one machine kind replaces only that kind's record of the case; the report has a
    machine section and tables per CPU family (issue 16: a section per CPU family, with the probe)."""
    out, md = tmp_path / "results", tmp_path / "BENCHMARKS.md"
    args = ["bench", "--areas", "fake", "--threads", "1", "--no-probe"]
    args += ["--out", str(out), "--markdown", str(md)]
    assert main(args) == 0
    (unprobed,) = json.loads((out / "results.json").read_text())
    older = [  # the same case measured earlier on two other machine kinds (one from flags only)
        dict(unprobed, probe=_probe("avx512_bf16", ["avx2", "avx512f", "avx512_bf16"])),
        dict(unprobed, probe={"cpu": {"model": "Old CPU", "flags": ["avx2", "fma"], "nproc": 4}}),
    ]
    (out / "results.json").write_text(json.dumps([*older, unprobed]))
    assert main(args) == 0  # replaces the unprobed record only
    records = json.loads((out / "results.json").read_text())
    assert len(records) == 3
    assert [r["probe"].get("cpu", {}).get("model") for r in records] == ["Test CPU", "Old CPU", None]
    text = md.read_text()
    for family in ("avx512_bf16", "avx2", "unprobed"):
        assert f"## Machine: {family}" in text and f"## fake ({family})" in text
    assert "Test CPU, 2 logical CPUs" in text and "Old CPU, 4 logical CPUs" in text
    if importlib.util.find_spec("matplotlib"):
        assert (out / "fake-avx2.png").exists() and (out / "cases" / "fake-numpy-vs-python-avx2.png").exists()


def test_one_family_keeps_the_plain_headings(tmp_path):
    from openvino_ui.bench.report import markdown

    record = {"case": "c", "group": "g", "engine": "e", "peer": "p", "threads": 1, "metrics": {}}
    amx = dict(record, probe=_probe("amx", ["amx_bf16", "amx_tile"]))
    text = markdown([amx], "cmd", tmp_path, tmp_path / "B.md")
    assert "## Machine: amx" in text and "\n## g\n" in text


def test_a_rerun_takes_the_place_of_the_record_it_replaces():
    """So a rerun of one case leaves the report's sections (and results.json) in their order."""
    from openvino_ui.bench.core import merge_record

    def rec(case, threads, family, value):
        return {"case": case, "threads": threads, "probe": _probe(family, []), "v": value}

    old = [rec("a", 1, "avx2", 0), rec("b", 1, "avx2", 0), rec("a", 2, "avx2", 0), rec("a", 1, "amx", 0)]
    merged = merge_record(old, rec("a", 2, "avx2", 1))
    expected = [("a", 1, 0), ("b", 1, 0), ("a", 2, 1), ("a", 1, 0)]
    assert [(r["case"], r["threads"], r["v"]) for r in merged] == expected
    assert merge_record(old, rec("c", 1, "avx2", 1))[-1]["case"] == "c"  # a new measurement goes last
    doubled = merge_record([rec("a", 1, "avx2", 0), rec("a", 1, "avx2", 2)], rec("a", 1, "avx2", 1))
    assert [r["v"] for r in doubled] == [1]  # an older duplicate goes too
