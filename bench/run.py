"""`make bench`: the benchmark of issue 8, end to end, on this machine. See bench/README.md.

    .venv/bin/python bench/run.py                      # the full run (both databases when PostgreSQL is up)
    .venv/bin/python bench/run.py --quick              # a smoke run of a few minutes, small sizes
    .venv/bin/python bench/run.py --scenario exam --db sqlite
    .venv/bin/python bench/run.py --workers 3 --threads 4   # skip the probe of server settings

For each database: a scratch instance (SQLite file, or the PostgreSQL database lms_bench, created and
dropped), migrations, content/, the bench population; then each scenario against a fresh gunicorn with
the production configuration; results in bench/results/.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, report, scenarios  # noqa: E402
from bench.harness import BenchError, ServerSettings, log  # noqa: E402

# Measured on the 2-core machine (bench/README.md, "Server settings"): one process per core, two threads each.
# With four threads one of the two workers sometimes took all 8 reading connections (kept alive) and left
# the other core idle; with two they spread, and each thread verifying a password holds argon2's memory.
DEFAULT_SETTINGS = ServerSettings(workers=2, threads=2)
PROBE_CANDIDATES = [ServerSettings(2, 2), ServerSettings(3, 2), ServerSettings(2, 4)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark of issue 8 (see bench/README.md).")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a few minutes")
    parser.add_argument("--scenario", action="append", choices=scenarios.SCENARIOS, metavar="NAME",
                        help=f"run only this scenario (repeatable): {', '.join(scenarios.SCENARIOS)}")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "all"),
                        help="all (the default of the full run): SQLite, and PostgreSQL when reachable "
                             "(BENCH_POSTGRES_URL); sqlite is the default of --quick")
    parser.add_argument("--probe", action="store_true",
                        help="first try a few server settings on module reading and use the fastest")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker")
    parser.add_argument("--scratch", type=Path, help="scratch folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, databases)")
    return parser.parse_args(argv)


def databases(choice: str) -> tuple[list[str], list[str]]:
    notes = []
    kinds = ["sqlite"] if choice in ("sqlite", "all") else []
    if choice in ("postgresql", "all"):
        if harness.postgres_reachable():
            kinds.append("postgresql")
        elif choice == "postgresql":
            raise SystemExit(f"PostgreSQL is not reachable at {harness.POSTGRES_ADMIN_URL}")
        else:
            notes.append(f"PostgreSQL was not reachable at {harness.POSTGRES_ADMIN_URL}: SQLite only.")
    return kinds, notes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    profile = scenarios.QUICK if args.quick else scenarios.FULL
    kinds, notes = databases(args.db or ("sqlite" if args.quick else "all"))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="lms-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    settings = ServerSettings(args.workers or DEFAULT_SETTINGS.workers, args.threads or DEFAULT_SETTINGS.threads)
    probe_wanted = args.probe and profile.probe_seconds and not (args.workers or args.threads)
    run = {"stamp": stamp, "profile": asdict(profile), "scenarios": args.scenario or "default", "databases": kinds,
           "machine": report.machine(harness.postgres_version() if "postgresql" in kinds else None),
           "rate_limit": harness.LOAD_RATE_LIMIT, "load_before": _load_average(), "notes": notes}
    log(f"{profile.name} run of {', '.join(args.scenario or ['every scenario'])} on {', '.join(kinds)}; "
        f"scratch {scratch}")
    per_database: dict[str, dict] = {}
    failed = False
    for kind in kinds:
        chosen = args.scenario or list(scenarios.POSTGRESQL_DEFAULT if kind == "postgresql" else scenarios.SCENARIOS)
        instance = harness.make_instance(kind, scratch)
        result: dict = {"scenarios": {}, "errors": {}}
        per_database[kind] = result
        try:
            seconds = harness.prepare(instance, profile.groups)
            log(f"{kind}: migrated, content imported, {sum(profile.groups.values())} trainees seeded "
                f"in {seconds:.0f} s")
            if probe_wanted:
                result["probe"] = scenarios.probe_settings(instance, profile, PROBE_CANDIDATES)
                best = max(result["probe"], key=lambda p: p.get("per_second") or 0)
                settings = ServerSettings(best["workers"], best["threads"])
                probe_wanted = False
                log(f"server settings: {settings.label}")
            run["server"] = f"{settings.label} (workers × threads)"
            for name in chosen:
                log(f"{kind}: {name}")
                try:
                    result["scenarios"][name] = scenarios.RUNNERS[name](instance, settings, profile)
                except (BenchError, OSError, ValueError, KeyError) as error:
                    failed = True
                    result["errors"][name] = f"{type(error).__name__}: {error}"
                    log(f"{kind}: {name} failed: {error}")
                    traceback.print_exc()
        finally:
            if not args.keep:
                harness.drop_instance(instance)
        result["checks"] = report.checks(result["scenarios"], profile.name)
        for row in result["checks"]:
            log(f"{kind}: {row['metric']}: {row['value']} {row['unit']} (target {row['target']}) {row['result']}")
    run.update(load_after=_load_average(), minutes=round((time.perf_counter() - started) / 60, 1))
    run["notes"] += _notes(per_database)
    path = report.write(stamp, run, per_database)
    log(f"results: {path}")
    if not args.keep and not args.scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


def _load_average() -> str:
    return " ".join(f"{v:.2f}" for v in __import__("os").getloadavg())


def _notes(per_database: dict[str, dict]) -> list[str]:
    notes = []
    for kind, result in per_database.items():
        for name, error in result["errors"].items():
            notes.append(f"{kind}: scenario {name} did not finish: {error}")
        if "probe" in result:
            notes.append("Server settings probed (module pages, 8 connections): " + "; ".join(
                f"{p['workers']}×{p['threads']}: {p.get('per_second')} pages/s, p99 {p.get('p99_ms')} ms"
                for p in result["probe"]))
    return notes


if __name__ == "__main__":
    sys.exit(main())
