"""The six scenarios of issue 8, each against a fresh gunicorn (so a worker's peak memory is that
scenario's), each returning its measurements as a plain dict. Sizes come from a Profile: the full run or
the quick smoke run.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from bench.harness import Instance, LoadRun, Server, ServerSettings, cpu_shares, log, run_locust, summarise

CORES = __import__("os").cpu_count() or 1


@dataclass(frozen=True)
class Profile:
    name: str
    reading_seconds: int
    reading_users: int
    warmup_seconds: int
    login_users: int
    login_seconds: int
    exam_users: int
    exam_spawn_rate: float
    exam_saves: int
    think_min: float
    think_max: float
    burst_users: int
    burst_seconds: float
    certificate_renders: int
    certificate_bulk: int
    scale: dict  # seed-scale options
    dashboard_samples: int
    probe_seconds: int  # 0: no probe of server settings

    @property
    def groups(self) -> dict[str, int]:
        return {"exam": self.exam_users, "burst": self.burst_users, "certificates": self.certificate_bulk}


FULL = Profile("full", reading_seconds=20, reading_users=8, warmup_seconds=3, login_users=16, login_seconds=20,
               exam_users=2000, exam_spawn_rate=20, exam_saves=5, think_min=20, think_max=40,
               burst_users=300, burst_seconds=10, certificate_renders=15, certificate_bulk=300,
               scale={"users": 20000, "units": 500, "courses": 50, "answers": 1000000}, dashboard_samples=20,
               probe_seconds=8)
QUICK = Profile("quick", reading_seconds=8, reading_users=8, warmup_seconds=2, login_users=16, login_seconds=8,
                exam_users=100, exam_spawn_rate=25, exam_saves=3, think_min=2, think_max=4,
                burst_users=100, burst_seconds=10, certificate_renders=5, certificate_bulk=30,
                scale={"users": 1000, "units": 50, "courses": 5, "answers": 20000}, dashboard_samples=10,
                probe_seconds=0)
SCENARIOS = ("reading", "logins", "exam", "burst", "certificates", "dashboard")
# What the default run does on PostgreSQL: the served scenarios. The certificate render is in-process work
# that barely touches the database, and the dashboard needs the 5-minute seed again; name them with
# --scenario to run them there too.
POSTGRESQL_DEFAULT = ("reading", "logins", "exam", "burst")


def _load(run: LoadRun) -> dict:
    failures = sum(1 for r in run.records if not r["ok"])
    statuses: dict[str, int] = {}
    for record in run.records:
        if not record["ok"]:
            key = f"{record['name']} HTTP {record['status']}: {record.get('error', '')}"
            statuses[key] = statuses.get(key, 0) + 1
    return {"seconds": round(run.seconds, 1), "requests": len(run.records), "failures": failures,
            "failures_by_kind": statuses, "cpu": cpu_shares(run, CORES)}


def _start(run: LoadRun, name: str) -> float | None:
    times = [r["t"] for r in run.records if r["name"] == name]
    return min(times) if times else None


def probe_settings(instance: Instance, profile: Profile, candidates: list[ServerSettings]) -> list[dict]:
    """A few seconds of module reading at 8 connections per candidate setting."""
    results = []
    for settings in candidates:
        with Server(instance, settings) as server:
            run = run_locust(server, "reading.py", "ModuleReader", profile.reading_users, profile.reading_users,
                             profile.probe_seconds + 2, f"probe-{settings.workers}x{settings.threads}")
        first = _start(run, "module")
        module = summarise(run.records, "module", after=first + 2 if first else None)
        log(f"probe {settings.label}: {module.get('per_second')} pages/s, p99 {module.get('p99_ms')} ms")
        results.append({"workers": settings.workers, "threads": settings.threads, **module})
    return results


def reading(instance: Instance, settings: ServerSettings, profile: Profile) -> dict:
    users, seconds, warm = profile.reading_users, profile.reading_seconds, profile.warmup_seconds
    with Server(instance, settings) as server:
        bare_run = run_locust(server, "reading.py", "BareEndpoint", users, users, seconds + warm, "reading-bare")
        module_run = run_locust(server, "reading.py", "ModuleReader", users, users, seconds + warm,
                                "reading-module")
        memory = server.memory()
    bare = summarise(bare_run.records, "bare", after=_start(bare_run, "bare") + warm)
    module = summarise(module_run.records, "module", after=_start(module_run, "module") + warm)
    ratio = round(module["per_second"] / bare["per_second"], 3) if bare.get("per_second") else None
    return {"connections": users, "seconds": seconds, "bare": bare, "module": module, "throughput_ratio": ratio,
            "bare_load": _load(bare_run), "module_load": _load(module_run), "memory": memory}


def logins(instance: Instance, settings: ServerSettings, profile: Profile) -> dict:
    with Server(instance, settings) as server:
        run = run_locust(server, "logins.py", "SigningIn", profile.login_users, profile.login_users,
                         profile.login_seconds + profile.warmup_seconds, "logins")
        memory = server.memory()
    login = summarise(run.records, "login", after=_start(run, "login") + profile.warmup_seconds)
    return {"connections": profile.login_users, "login": login, "argon2": argon2_cost(), "load": _load(run),
            "memory": memory}


def argon2_cost(rounds: int = 20) -> dict:
    """One argon2id verification with the app's parameters, in this process: the floor of a sign-in."""
    import statistics
    import time

    from lms.accounts.passwords import _hasher, hash_password, verify_password

    stored = hash_password("bench-password-2026")
    times = []
    for _round in range(rounds):
        started = time.perf_counter()
        verify_password(stored, "bench-password-2026")
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    return {"verify_median_ms": round(median, 1), "memory_kib": _hasher.memory_cost, "time_cost": _hasher.time_cost,
            "ceiling_per_second": round(CORES * 1000 / median, 1)}


def exam(instance: Instance, settings: ServerSettings, profile: Profile) -> dict:
    ramp = profile.exam_users / profile.exam_spawn_rate
    # Locust quits by itself once every taker has handed in; the cap only stops a run that is stuck.
    cap = int(3 * ramp + (profile.exam_saves + 1) * profile.think_max + 300)
    env = {"BENCH_SAVES": str(profile.exam_saves), "BENCH_THINK_MIN": str(profile.think_min),
           "BENCH_THINK_MAX": str(profile.think_max)}
    log(f"exam: {profile.exam_users} takers arriving over {ramp:.0f} s, then {profile.exam_saves} saves each "
        f"with all in, every {profile.think_min:g}–{profile.think_max:g} s (at most {cap} s)")
    with Server(instance, settings) as server:
        run = run_locust(server, "exam.py", "ExamTaker", profile.exam_users, profile.exam_spawn_rate, cap, "exam",
                         env)
        memory = server.memory()
    check = json.loads(instance.python("bench.exam_check", "--population", str(instance.population),
                                       "--acks", str(run.files["acks"]), production=True))["exam"]
    names = ("login", "exam overview", "start", "attempt page", "save while others arrive", "save", "submit",
             "result")
    arrivals = [r["t"] + r["ms"] / 1000 for r in run.records if r["name"] == "attempt page"]
    first = _start(run, "login page")
    return {"takers": profile.exam_users, "sign_in_window_s": round(ramp), "saves_each": profile.exam_saves,
            "think_s": [profile.think_min, profile.think_max],
            "arrival_s": round(max(arrivals) - first, 1) if arrivals and first else None,
            "requests": {name: summarise(run.records, name) for name in names},
            "load": _load(run), "check": check, "memory": memory}


def burst(instance: Instance, settings: ServerSettings, profile: Profile) -> dict:
    spawn = 50
    cap = int(profile.burst_users / spawn + profile.burst_seconds + 120)
    with Server(instance, settings) as server:
        run = run_locust(server, "exam.py", "BurstStarter", profile.burst_users, spawn, cap, "burst",
                         {"BENCH_BURST_SECONDS": str(profile.burst_seconds)})
        memory = server.memory()
    check = json.loads(instance.python("bench.exam_check", "--population", str(instance.population),
                                       "--burst", str(run.files["acks"]), production=True))["burst"]
    return {"starters": profile.burst_users, "within_s": profile.burst_seconds,
            "start": summarise(run.records, "start"), "attempt_page": summarise(run.records, "attempt page"),
            "load": _load(run), "check": check, "memory": memory}


def certificates(instance: Instance, settings: ServerSettings, profile: Profile) -> dict:
    return json.loads(instance.python("bench.certificates", "--population", str(instance.population),
                                      "--renders", str(profile.certificate_renders),
                                      "--bulk", str(profile.certificate_bulk), production=True))


def dashboard(instance: Instance, settings: ServerSettings, profile: Profile) -> dict:
    options = [f"--{key}={value}" for key, value in profile.scale.items()]
    log(f"dashboard: lms seed-scale {' '.join(options)} (the full size takes minutes)")
    seeding = instance.flask("lms", "seed-scale", *options, log_name="seed-scale.log")
    seconds = next((line for line in seeding.splitlines() if line.startswith("Scale data set")), "")
    with Server(instance, settings) as server:
        result = json.loads(instance.python("bench.dashboard", "--url", server.url, "--population",
                                            str(instance.population), "--samples", str(profile.dashboard_samples),
                                            production=True))
        memory = server.memory()
    return {"scale": profile.scale, "seeded": seconds, **result, "memory": memory}


RUNNERS = {"reading": reading, "logins": logins, "exam": exam, "burst": burst, "certificates": certificates,
           "dashboard": dashboard}
