"""`openvino-ui bench`: run the cases, write JSON records, BENCHMARKS.md and one plot per group.

openvino-ui bench --quick                      # < 15 min on 2 cores, first-run model builds included
openvino-ui bench --full                       # more variants (int4 sweep, settings), 5 rounds
openvino-ui bench --areas embeddings,asr --threads 1
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def add_bench_parser(sub: argparse._SubParsersAction) -> None:
    from .cases import AREAS, FULL_AREAS, QUICK_AREAS
    from .isolation import DEFAULT_TIMEOUT_S

    p = sub.add_parser("bench", help="benchmark the engines against llama.cpp, PyTorch, onnxruntime, ...")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the main cases, 3 rounds (default)")
    mode.add_argument(
        "--full",
        action="store_true",
        help="also the int4 sweep, symmetric int8 and int8 vs F16, f32 embeddings, the settings "
        "cases, the long TTS text; 5 rounds",
    )
    p.add_argument(
        "--areas",
        help=f"comma-separated subset of {', '.join(AREAS)} "
        f"(default: {','.join(QUICK_AREAS)} with --quick, {','.join(FULL_AREAS)} with --full)",
    )
    p.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="TEXT",
        help="only cases whose name contains TEXT (repeatable)",
    )
    p.add_argument("--threads", default="1,all", help="thread counts to run, e.g. '1', '1,all' (default)")
    p.add_argument("--rounds", type=int, help="timed rounds per case (default 3 quick, 5 full; >= 3)")
    p.add_argument("--warmup", type=int, default=1, help="untimed warm-up runs per side (default 1)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("benchmarks/results"),
        help="folder for results.json and the plots (default: %(default)s)",
    )
    p.add_argument(
        "--markdown", type=Path, default=Path("BENCHMARKS.md"), help="report file (default: %(default)s)"
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="only rewrite the report and plots from the existing results.json",
    )
    p.add_argument(
        "--peer-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help="bound on a case's peer (each runs in a child process): a peer still busy after this "
        "long is killed and its case recorded as timed out (default: %(default)g)",
    )
    p.add_argument("--no-probe", action="store_true", help="skip the machine probe (smoke tests)")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="discard earlier records in results.json (default: replace the cases rerun on this CPU family)",
    )
    p.set_defaults(func=run_bench)


def _threads(spec: str) -> list[int]:
    nproc = os.cpu_count() or 1
    out: list[int] = []
    for item in spec.split(","):
        n = nproc if item.strip() == "all" else int(item)
        if n not in out:
            out.append(n)
    return out


def run_bench(args: argparse.Namespace) -> int:
    from .cases import default_areas, load_cases
    from .core import merge_record, run_case, write_records
    from .isolation import set_timeout
    from .probe import probe
    from .report import write_report

    if args.report_only:
        records = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
        write_report(records, "openvino-ui bench --report-only", args.out, args.markdown)
        return 0
    full = bool(args.full)
    rounds = args.rounds or (5 if full else 3)
    if rounds < 3:
        print("--rounds must be at least 3 (the median of fewer ratios means little)", file=sys.stderr)
        return 2
    if args.peer_timeout <= 0:
        print("--peer-timeout must be positive", file=sys.stderr)
        return 2
    set_timeout(args.peer_timeout)
    if args.areas:
        areas = tuple(a.strip() for a in args.areas.split(",") if a.strip())
    else:
        areas = default_areas(full)
    cases = [c for c in load_cases(areas, full) if not args.case or any(t in c.name for t in args.case)]
    if not cases:
        print("no case matches", file=sys.stderr)
        return 2
    threads = _threads(args.threads)
    command = (
        "openvino-ui bench " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        if sys.argv[1:2] == ["bench"]
        else f"openvino-ui bench {'--full' if full else '--quick'}"
    )
    log.info("bench: %d case(s) x threads %s, %d rounds; probing the machine", len(cases), threads, rounds)
    machine = {"skipped": True} if args.no_probe else probe(quick=not full)
    if not args.no_probe:
        log.info("probe: %s", {k: machine[k] for k in ("bw_1t_gbs", "bw_all_gbs", "gemm", "loadavg")})
    results = args.out / "results.json"
    records: list[dict[str, Any]] = []
    if results.exists() and not args.fresh:
        records = json.loads(results.read_text(encoding="utf-8"))
    started = time.time()
    for case in cases:
        for t in threads:
            if case.only_threads is not None and t not in case.only_threads:
                continue
            log.info("case %s threads=%d", case.name, t)
            record = run_case(case, t, rounds, args.warmup, machine)
            record["command"] = command
            records = merge_record(records, record)
            write_records(records, results)
            _print(record)
    write_report(records, command, args.out, args.markdown)
    log.info("bench done in %.1f min: %s, %s", (time.time() - started) / 60, results, args.markdown)
    return 0


def _print(record: dict[str, Any]) -> None:
    head = f"{record['case']} (threads={record['threads']})"
    if "error" in record:
        at = f" at {record['failed_at']}" if record.get("failed_at") else ""
        print(f"{head}: FAILED{at}: {record['error'][:300]}", flush=True)
        return
    parts = [
        f"{m} {s['ratio_median']:.2f}x [{s['ratio_min']:.2f}-{s['ratio_max']:.2f}] "
        f"({s['cand_median']:.4g} vs {s['peer_median']:.4g} {s['unit']})"
        for m, s in record["metrics"].items()
    ]
    print(f"{head}: " + "; ".join(parts), flush=True)
