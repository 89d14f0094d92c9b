"""A throwaway PostgreSQL server for the store tests: `initdb` + `pg_ctl start` in a temporary
folder on a free 127.0.0.1 port (as the `postgres` user when the tests run as root, which initdb
refuses), stopped at the end of the session. None, with the reason, where it cannot start."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.folder: Path | None = None
        self.port = 0
        self.prefix: list[str] = []
        self.pg_ctl = ""

    def start(self) -> str | None:
        """Start the server; None when running, else why it could not start."""
        initdb, self.pg_ctl = _tool("initdb"), _tool("pg_ctl")
        if not initdb or not self.pg_ctl:
            return "PostgreSQL server binaries (initdb, pg_ctl) not installed"
        self.folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                return "running as root without runuser: initdb refuses root"
            try:
                import pwd

                pw = pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no postgres user to run initdb as"
            os.chown(self.folder, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.port = _free_port()
        data = self.folder / "data"
        steps = [[initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
                 [self.pg_ctl, "-D", str(data), "-l", str(self.folder / "log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]]
        for step in steps:
            done = subprocess.run(self.prefix + step, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                return f"{Path(step[0]).name} failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
        return None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        import sqlalchemy as sa

        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        if self.folder is None:
            return
        if (self.folder / "data" / "postmaster.pid").exists():
            subprocess.run(self.prefix + [self.pg_ctl, "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"],
                           capture_output=True, timeout=120)
        shutil.rmtree(self.folder, ignore_errors=True)
