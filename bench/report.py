"""Results: the machine and versions, each measurement against its target from issue 8, written as JSON
(one file per database) and as a Markdown table (bench/results/<timestamp>.md and latest.md)."""
from __future__ import annotations

import json
import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path

from bench.harness import ROOT
from lms.backup.services import source_commit

RESULTS = ROOT / "bench" / "results"
PACKAGES = ("gunicorn", "locust", "Flask", "SQLAlchemy", "weasyprint", "psycopg", "argon2-cffi")


def machine(postgres_version: str | None) -> dict:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cores": os.cpu_count(), "memory_mb": int(meminfo["MemTotal"].split()[0]) // 1024, "cpu": cpu,
            "kernel": platform.release(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres_version, "commit": source_commit(),
            "packages": {name: _version(name) for name in PACKAGES}}


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _get(data: dict, *path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def checks(scenarios: dict, profile_name: str) -> list[dict]:
    """Each target of issue 8 that this run measured: value, target and whether it is met."""
    full = profile_name == "full"
    rows: list[dict] = []

    def add(metric, value, target, ok, unit="", scaled=False):
        rows.append({"metric": metric, "value": value, "unit": unit, "target": target,
                     "result": "n/a" if value is None else ("PASS" if ok(value) else "FAIL")
                     + (" (quick size)" if scaled else "")})

    if "reading" in scenarios:
        r = scenarios["reading"]
        add("Module page throughput ÷ bare endpoint (8 connections)", r["throughput_ratio"], "≥ 0.30",
            lambda v: v >= 0.30)
        add("Module page p99 (8 connections)", _get(r, "module", "p99_ms"), "≤ 25 ms", lambda v: v <= 25, "ms")
    if "exam" in scenarios:
        e = scenarios["exam"]
        size = f"{e['takers']} takers in the exam together"
        add(f"Exam save p95 ({size})", _get(e, "requests", "save", "p95_ms"), "≤ 200 ms", lambda v: v <= 200,
            "ms", not full)
        add(f"Exam save p99 ({size})", _get(e, "requests", "save", "p99_ms"), "≤ 500 ms", lambda v: v <= 500,
            "ms", not full)
        add("Exam errors (failed requests)", e["load"]["failures"], "0", lambda v: v == 0)
        add("Acknowledged answers missing from the database", e["check"]["lost_answers"], "0", lambda v: v == 0)
        wrong = e["check"]["hand_ins_not_graded_exactly_once"] + e["check"]["takers_with_more_than_one_attempt"]
        add("Hand-ins not graded exactly once", wrong, "0", lambda v: v == 0)
    if "burst" in scenarios:
        b = scenarios["burst"]
        # A starter counts as started when its start was answered, its attempt page loaded, and the attempt
        # is in the database; anything else is one failure, however many of its requests failed.
        failed = b["starters"] - b["check"]["starts_in_database"]
        add(f"Exam starts within {b['within_s']:g} s that failed (of {b['starters']})", failed, "0",
            lambda v: v == 0, "", b["starters"] < 300)
    if "certificates" in scenarios:
        c = scenarios["certificates"]
        add("Certificate warm render ÷ bare WeasyPrint", c["render"]["ratio"], "≤ 1.2", lambda v: v <= 1.2)
        n = c["bulk"]["requested"]
        limit = 20 * n / 300
        add(f"Bulk issue of {n} certificates", c["bulk"]["seconds"], f"≤ {limit:g} s",
            lambda v: v <= limit and c["bulk"]["issued"] == n, "s", n != 300)
    if "logins" in scenarios:
        add("Sign-ins per second", _get(scenarios["logins"], "login", "per_second"), "≥ 50", lambda v: v >= 50, "/s")
    if "dashboard" in scenarios:
        add("Admin dashboard p95 (scale of the admin issue)" if full else "Admin dashboard p95 (small scale)",
            scenarios["dashboard"]["p95_ms"], "≤ 300 ms", lambda v: v <= 300, "ms", not full)
    peaks = [(name, _get(s, "memory", "max_peak_rss_mb")) for name, s in scenarios.items()]
    peaks = [(name, v) for name, v in peaks if v is not None]
    if peaks:
        name, worst = max(peaks, key=lambda p: p[1])
        add(f"Peak worker RSS (largest: {name})", worst, "≤ 150 MB", lambda v: v <= 150, "MB")
    return rows


def write(stamp: str, run: dict, per_database: dict[str, dict]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if run["profile"]["name"] == "full" else "-quick"
    for kind, result in per_database.items():
        (RESULTS / f"{stamp}{suffix}-{kind}.json").write_text(
            json.dumps({"run": run, "database": kind, **result}, indent=1, ensure_ascii=False) + "\n")
    text = markdown(stamp, run, per_database)
    path = RESULTS / f"{stamp}{suffix}.md"
    path.write_text(text)
    if not suffix and run.get("scenarios") == "default":  # a run of only some scenarios leaves it alone
        (RESULTS / "latest.md").write_text(text)
    return path


def _fmt(value, unit="") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    return f"{value} {unit}".strip()


def markdown(stamp: str, run: dict, per_database: dict[str, dict]) -> str:
    m, kinds = run["machine"], list(per_database)
    lines = [f"# Benchmark {stamp} ({run['profile']['name']} run)", "",
             f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_mb']:,} MB memory, Linux {m['kernel']}. "
             f"Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgresql'] or 'not reachable'}; "
             + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v) + f". Commit `{m['commit']}`.",
             "", f"Server: gunicorn {run['server']} on 127.0.0.1, `LMS_ENV=production`, sign-in limit lifted to "
             f"`{run['rate_limit']}` (every simulated browser is 127.0.0.1). Load: Locust {m['packages']['locust']} "
             "(FastHttpUser) in one process on the same 2 cores. Load average at start "
             f"{run['load_before']}, at end {run.get('load_after')}. Took {run.get('minutes')} min.", ""]
    lines += ["## Targets", "", "| Metric | Target | " + " | ".join(kinds) + " |",
              "|---|---|" + "---|" * len(kinds)]
    metrics: dict[str, dict] = {}
    for kind in kinds:
        for row in per_database[kind]["checks"]:
            metrics.setdefault(row["metric"], {"target": row["target"]})[kind] = \
                f"{_fmt(row['value'], row['unit'])} **{row['result']}**"
    for metric, cells in metrics.items():
        lines.append(f"| {metric} | {cells['target']} | " + " | ".join(cells.get(k, "–") for k in kinds) + " |")
    for kind in kinds:
        lines += ["", f"## {kind}", ""] + _details(per_database[kind]["scenarios"])
    if run.get("notes"):
        lines += ["", "## Notes", "", *[f"- {note}" for note in run["notes"]]]
    lines.append("")
    return "\n".join(lines)


def _cpu_line(cpu: dict) -> str:
    parts = [f"server {cpu['server_pct']} %"]
    if cpu.get("database_pct"):
        parts.append(f"PostgreSQL {cpu['database_pct']} %")
    parts += [f"Locust {cpu['locust_pct']} %", f"other processes {cpu['other_processes_pct']} %"]
    return "CPU of both cores: " + ", ".join(parts)


def _details(scenarios: dict) -> list[str]:
    lines = ["| Scenario | Request | n | failed | per s | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---|---|---|---|---|---|---|---|"]

    def row(scenario, name, s):
        if s and s.get("requests"):
            lines.append(f"| {scenario} | {name} | {s['requests']} | {s['failures']} | {_fmt(s.get('per_second'))} | "
                         f"{_fmt(s.get('p50_ms'))} | {_fmt(s.get('p95_ms'))} | {_fmt(s.get('p99_ms'))} | "
                         f"{_fmt(s.get('max_ms'))} |")

    if "reading" in scenarios:
        row("reading", "bare endpoint", scenarios["reading"]["bare"])
        row("reading", "module page", scenarios["reading"]["module"])
    if "logins" in scenarios:
        row("logins", "sign-in (POST)", scenarios["logins"]["login"])
    if "exam" in scenarios:
        for name, s in scenarios["exam"]["requests"].items():
            row("exam", name, s)
    if "burst" in scenarios:
        row("burst", "start", scenarios["burst"]["start"])
        row("burst", "attempt page", scenarios["burst"]["attempt_page"])
    extra = []
    for name, s in scenarios.items():
        for key in ("load", "bare_load", "module_load"):
            if key in s:
                label = name if key == "load" else f"{name} ({key.split('_')[0]})"
                extra.append(f"- {label}: {s[key]['seconds']} s; {_cpu_line(s[key]['cpu'])}"
                             + (f"; failures {s[key]['failures_by_kind']}" if s[key]["failures"] else ""))
        if s.get("memory"):
            extra.append(f"- {name}: worker peak RSS " + ", ".join(
                f"{w['peak_rss_mb']} MB (after boot {w['rss_after_boot_mb']})" for w in s["memory"]["workers"]))
    if "logins" in scenarios:
        a = scenarios["logins"]["argon2"]
        extra.append(f"- logins: one argon2id verification ({a['memory_kib'] // 1024} MiB, {a['time_cost']} passes) "
                     f"takes {a['verify_median_ms']} ms here, so {a['ceiling_per_second']} sign-ins/s is the ceiling "
                     "of both cores doing nothing else")
    if "exam" in scenarios:
        e = scenarios["exam"]
        extra.append(f"- exam: {e['takers']} takers arrived (sign-in to attempt page) over {e['arrival_s']} s, the "
                     f"spawn rate asking for {e['sign_in_window_s']} s; \"save\" counts the saves once all were in "
                     f"({e['saves_each']} each, every {e['think_s'][0]:g}–{e['think_s'][1]:g} s)")
        extra.append(f"- exam check: {json.dumps(scenarios['exam']['check'], ensure_ascii=False)}")
    if "certificates" in scenarios:
        c = scenarios["certificates"]
        extra.append(f"- certificates: app render median {c['render']['app_median_ms']} ms, bare WeasyPrint "
                     f"{c['render']['bare_median_ms']} ms ({c['render']['renders']} each); bulk issue "
                     f"{c['bulk']['issued']}/{c['bulk']['requested']} in {c['bulk']['seconds']} s "
                     f"({c['bulk']['per_certificate_ms']} ms each, {c['bulk'].get('processes', 1)} render process(es))")
    if "dashboard" in scenarios:
        d = scenarios["dashboard"]
        extra.append(f"- dashboard `{d['page']}`: p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms over {d['samples']} "
                     f"loads; seeded: {d['seeded']}")
        extra += [f"  - `{p['page']}`: HTTP {p['status']}, first {p['first_ms']} ms, median {p['median_ms']} ms"
                  for p in d["pages"]]
    return lines + [""] + extra


def rerender(stamp: str) -> Path:
    """Rewrite a run's Markdown (and its checks) from its JSON files, e.g. after a change to this module."""
    per_database, run = {}, None
    for path in sorted(RESULTS.glob(f"{stamp}-*.json")):
        data = json.loads(path.read_text())
        run = data.pop("run")
        kind = data.pop("database")
        data["checks"] = checks(data["scenarios"], run["profile"]["name"])
        per_database[kind] = data
    if run is None:
        raise SystemExit(f"no results {RESULTS}/{stamp}-*.json")
    return write(stamp, run, {kind: per_database[kind] for kind in run["databases"] if kind in per_database})


if __name__ == "__main__":
    import sys

    print(rerender(sys.argv[1]))
