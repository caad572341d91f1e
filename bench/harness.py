"""The moving parts of a benchmark run: a scratch instance (database, storage, secret), the app under
gunicorn with the production configuration, Locust as a subprocess, and what the machine reports about
them (worker memory, CPU time of the server, of Locust and of everything else on the machine).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
POSTGRES_DATABASE = "lms_bench"
# Every simulated browser comes from 127.0.0.1, so the per-address sign-in limit would measure the limiter,
# not the app: the bench lifts it (and says so in the results).
LOAD_RATE_LIMIT = "1000000 per minute"
TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the scratch instance --------------------------------------------------------------------------------------

@dataclass
class Instance:
    """One database kind with its own scratch folder, database and secret."""

    kind: str  # sqlite or postgresql
    folder: Path
    database_url: str
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    population: Path | None = None

    def env(self, production: bool, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("LMS_", "RATELIMIT_"))}
        env.pop("REDIS_URL", None)  # one host: rate limits in memory, bulk work inline
        env.update(LMS_ENV="production" if production else "development", SECRET_KEY=self.secret,
                   DATABASE_URL=self.database_url, LMS_INSTANCE_DIR=str(self.folder),
                   LMS_STORAGE_DIR=str(self.folder / "storage"), LMS_PUBLIC_URL="https://taphuan.bench.invalid",
                   RATELIMIT_LOGIN=LOAD_RATE_LIMIT, PYTHONPATH=str(ROOT))
        env.update(extra)
        return env

    def run(self, args: list[str], production: bool = False, log_name: str | None = None) -> str:
        """A command with this instance's environment; its stdout, or BenchError with its output."""
        out = subprocess.run(args, cwd=ROOT, env=self.env(production), capture_output=True, text=True)
        if log_name:
            (self.folder / log_name).write_text(out.stdout + out.stderr)
        if out.returncode != 0:
            raise BenchError(f"{' '.join(args[:4])}… failed:\n{out.stderr[-3000:]}")
        return out.stdout

    def flask(self, *args: str, production: bool = False, log_name: str | None = None) -> str:
        return self.run([str(BIN / "flask"), "--app", "wsgi", *args], production, log_name)

    def python(self, module: str, *args: str, production: bool = False, log_name: str | None = None) -> str:
        return self.run([str(BIN / "python"), "-m", module, *args], production, log_name)


def postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def postgres_version() -> str | None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        return None


def _postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(statement)


def make_instance(kind: str, scratch: Path) -> Instance:
    folder = scratch / kind
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "storage").mkdir(parents=True)
    if kind == "sqlite":
        return Instance(kind, folder, f"sqlite:///{folder / 'lms.sqlite3'}")
    _postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
    _postgres_admin(f"CREATE DATABASE {POSTGRES_DATABASE}")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return Instance(kind, folder, f"{base}/{POSTGRES_DATABASE}")


def drop_instance(instance: Instance) -> None:
    if instance.kind == "postgresql":
        _postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")


def prepare(instance: Instance, groups: dict[str, int]) -> float:
    """Migrate, import content/, seed the bench population. Returns the seconds it took."""
    started = time.perf_counter()
    instance.flask("db", "upgrade", log_name="setup-migrate.log")
    instance.flask("lms", "import-content", log_name="setup-import.log")
    instance.population = instance.folder / "population.json"
    instance.python("bench.population", *[f"--group={k}={v}" for k, v in groups.items()],
                    "--out", str(instance.population), log_name="setup-population.log")
    return time.perf_counter() - started


# --- the server ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServerSettings:
    workers: int
    threads: int

    @property
    def label(self) -> str:
        return f"gthread {self.workers}×{self.threads}"


class Server:
    """gunicorn serving bench.wsgi:app (the production app plus /bench/bare) on 127.0.0.1."""

    def __init__(self, instance: Instance, settings: ServerSettings, port: int | None = None):
        self.instance, self.settings, self.port = instance, settings, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.boot_rss: dict[int, int] = {}

    def __enter__(self) -> Server:
        args = [str(BIN / "gunicorn"), "bench.wsgi:app", "--bind", f"127.0.0.1:{self.port}",
                "--worker-class", "gthread", "--workers", str(self.settings.workers),
                "--threads", str(self.settings.threads), "--backlog", "2048", "--timeout", "120",
                "--keep-alive", "5", "--error-logfile", str(self.instance.folder / "gunicorn.log")]
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.instance.env(production=True),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited: see {self.instance.folder / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200 and len(self.worker_pids()) == self.settings.workers:
                        self.boot_rss = {pid: _proc_status(pid).get("VmRSS", 0) for pid in self.worker_pids()}
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def memory(self) -> dict:
        """Peak (VmHWM) and current (VmRSS) resident memory of each worker, in MB."""
        workers = []
        for pid in self.worker_pids():
            status = _proc_status(pid)
            workers.append({"pid": pid, "peak_rss_mb": round(status.get("VmHWM", 0) / 1024, 1),
                            "rss_mb": round(status.get("VmRSS", 0) / 1024, 1),
                            "rss_after_boot_mb": round(self.boot_rss.get(pid, 0) / 1024, 1)})
        return {"workers": workers, "max_peak_rss_mb": max((w["peak_rss_mb"] for w in workers), default=None)}

    def cpu_seconds(self) -> float:
        """CPU time of the master and its workers so far."""
        return sum(_proc_cpu(pid) for pid in [self.process.pid, *self.worker_pids()])


def free_port() -> int:
    """A port nothing listens on now (another gunicorn on a fixed port would answer /healthz for us)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _proc_status(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            values[key] = int(rest.split()[0])
    return values


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def database_cpu(instance: Instance) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the bench database (SQLite runs in the workers)."""
    if instance.kind != "postgresql":
        return {}
    marker = f" {POSTGRES_DATABASE} ".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes():
                    found[int(entry.name)] = _proc_cpu(int(entry.name))
            except OSError:
                continue
    return found


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine since boot (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / TICKS


# --- the load generator ----------------------------------------------------------------------------------------

@dataclass
class LoadRun:
    records: list[dict]
    seconds: float
    locust_cpu_seconds: float
    server_cpu_seconds: float
    database_cpu_seconds: float
    machine_busy_seconds: float
    files: dict[str, Path]


def run_locust(server: Server, locustfile: str, user_class: str, users: int, spawn_rate: float, run_time: int,
               tag: str, env: dict[str, str] | None = None) -> LoadRun:
    """Locust headless against the server; returns every request it made (from common.py's record)."""
    folder = server.instance.folder
    files = {"records": folder / f"{tag}-requests.jsonl", "acks": folder / f"{tag}-acks.jsonl",
             "log": folder / f"{tag}-locust.log"}
    args = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfiles" / locustfile), user_class,
            "--headless", "-u", str(users), "-r", str(spawn_rate), "-t", f"{run_time}s", "--host", server.url,
            "--csv", str(folder / tag), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5",
            "--exit-code-on-error", "0"]
    locust_env = {**os.environ, "BENCH_POPULATION": str(server.instance.population),
                  "BENCH_OUT": str(files["records"]), "BENCH_ACKS": str(files["acks"]),
                  "BENCH_USERS": str(users), **(env or {})}
    server_cpu, database, busy = server.cpu_seconds(), database_cpu(server.instance), machine_busy_seconds()
    started = time.perf_counter()
    with open(files["log"], "w") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=locust_env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchError(f"locust {tag} exited with {process.returncode}: see {files['log']}")
    records = [json.loads(line) for line in files["records"].read_text().splitlines()] \
        if files["records"].exists() else []
    database_after = database_cpu(server.instance)
    database_seconds = sum(cpu - database.get(pid, 0.0) for pid, cpu in database_after.items())
    return LoadRun(records, seconds, usage.ru_utime + usage.ru_stime, server.cpu_seconds() - server_cpu,
                   database_seconds, machine_busy_seconds() - busy, files)


# --- numbers ---------------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 1)


def summarise(records: list[dict], name: str, after: float | None = None, before: float | None = None) -> dict:
    """Count, failures, throughput and latency percentiles of one request name (optionally in a window)."""
    chosen = [r for r in records if r["name"] == name and (after is None or r["t"] >= after)
              and (before is None or r["t"] < before)]
    if not chosen:
        return {"requests": 0, "failures": 0}
    times = [r["ms"] for r in chosen]
    first, last = min(r["t"] for r in chosen), max(r["t"] + r["ms"] / 1000 for r in chosen)
    window = (before or last) - (after or first)
    return {"requests": len(chosen), "failures": sum(1 for r in chosen if not r["ok"]),
            "per_second": round(len(chosen) / window, 1) if window > 0 else None,
            "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "p99_ms": percentile(times, 99),
            "max_ms": round(max(times), 1)}


def cpu_shares(run: LoadRun, cores: int) -> dict:
    """Where the machine's CPU went during a load run, in % of all cores."""
    capacity = run.seconds * cores / 100
    other = max(0.0, run.machine_busy_seconds - run.server_cpu_seconds - run.locust_cpu_seconds
                - run.database_cpu_seconds)
    return {"server_pct": round(run.server_cpu_seconds / capacity, 1),
            "database_pct": round(run.database_cpu_seconds / capacity, 1),
            "locust_pct": round(run.locust_cpu_seconds / capacity, 1),
            "other_processes_pct": round(other / capacity, 1)}
