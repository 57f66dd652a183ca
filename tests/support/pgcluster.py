"""A throwaway PostgreSQL + PostGIS cluster, for tests and benchmarks.

Starts Debian's PostgreSQL server binaries (``initdb``/``pg_ctl``) on a free
loopback port in a temporary directory, with the PostGIS extension created.
When running as root it runs the server as the ``postgres`` system user, as
PostgreSQL refuses to run as root. Durability settings are relaxed (fsync
off): the cluster is deleted on :meth:`PgCluster.stop`.

>>> with PgCluster() as pg:            # doctest: +SKIP
...     store = Store.open(pg.url)
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .net import free_port

__all__ = ["PgCluster", "find_pg_bindir", "postgis_available"]


def find_pg_bindir() -> Path | None:
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(cand, "initdb").exists() and Path(cand, "pg_ctl").exists():
            return Path(cand)
    which = shutil.which("pg_ctl")
    return Path(which).resolve().parent if which else None


def postgis_available() -> bool:
    bindir = find_pg_bindir()
    if bindir is None:
        return False
    version = bindir.parent.name
    return bool(glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"))


class PgCluster:
    def __init__(self, dbname: str = "geogrid", port: int | None = None):
        self.dbname = dbname
        self.port = port or free_port()
        self.bindir = find_pg_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found; install postgresql and "
                               "postgresql-*-postgis-3 (make deps).")
        self.root: Path | None = None
        self._as_user: list[str] = []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as_user, *args], check=check, capture_output=True, text=True)

    def _options(self) -> str:
        # fsync off: a throwaway cluster need not survive an OS crash. synchronous_commit
        # stays on, so a commit the server acknowledged survives the server being killed
        # (the fault-injection tests rely on that, as production does).
        return (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB")

    def start(self) -> PgCluster:
        self.root = Path(tempfile.mkdtemp(prefix="geogrid-pg-"))
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self.root / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync", "--locale=C")
        opts = self._options()
        res = self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", opts,
                        "-l", str(self.root / "server.log"), "-w", "-t", "60", "start", check=False)
        if res.returncode != 0:
            log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
            self.stop()
            raise RuntimeError(f"PostgreSQL did not start: {res.stderr}\n{log[-2000:]}")
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.dbname}"')
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                             dbname=self.dbname, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        data = self.root / "data"
        if (data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                      "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def kill(self) -> None:
        """Stop the server abruptly (fault injection); the data directory stays."""
        if self.root is not None:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                      "immediate", "stop", check=False)

    def restart(self) -> None:
        assert self.root is not None
        opts = self._options()
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-o", opts,
                  "-l", str(self.root / "server.log"), "-w", "start")

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
