"""A private Postgres cluster for one rig: its own data directory, port and socket.

Started as the ``postgres`` user inside the rig's database host (a network namespace),
listening on that host's address and on a Unix socket in a directory of its own. The
socket is how the test process (outside every namespace) reaches it: Unix sockets live
in the file system, not in a network namespace. Never the machine's shared Postgres.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("JOBDOCK_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORT = 5432  # inside its own namespace and socket directory: no clash with the shared one


def why_postgres_unavailable() -> str | None:
    if not (PG_BIN / "initdb").exists():
        return f"no Postgres server binaries in {PG_BIN} (Debian: postgresql-15)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no `postgres` system user to run a private cluster as"
    return None


@dataclass
class PrivatePostgres:
    root: Path  # holds data/, sock/ and the log
    wrap: list[str]  # prefix that runs a command on the database host (ip netns exec ...)
    listen: str  # the host's address
    settings: tuple[str, ...] = ("max_connections=300", "shared_buffers=128MB")

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sockets(self) -> Path:
        return self.root / "sock"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "jobdock", *, host: str | None = None, port: int = PORT) -> str:
        """Over the network (``host``) or, by default, over the Unix socket."""
        if host:
            return f"postgresql://postgres@{host}:{port}/{database}"
        return f"postgresql://postgres@/{database}?host={self.sockets}&port={PORT}"

    def _as_postgres(self, *argv: str) -> list[str]:
        return [*self.wrap, "runuser", "-u", "postgres", "--", *argv]

    def start(self) -> PrivatePostgres:
        user = pwd.getpwnam("postgres")
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        for d in (self.data, self.sockets):
            d.mkdir(exist_ok=True)
            os.chown(d, user.pw_uid, user.pw_gid)
        self.log.touch()
        os.chown(self.log, user.pw_uid, user.pw_gid)
        subprocess.run(self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data),
                                         "--auth=trust", "-U", "postgres", "-E", "UTF8"),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(self.data / "pg_hba.conf", "a") as hba:  # the rig's private network only
            hba.write("host all all 10.0.0.0/8 trust\n")
        options = " ".join([f"-p {PORT}", f"-k {self.sockets}",
                            f"-c listen_addresses={self.listen}",
                            *(f"-c {s}" for s in self.settings)])
        # stdout to the log file, never a pipe: the postmaster keeps it open for good
        subprocess.run(self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o",
                                         options, "-l", str(self.log), "-w", "start"),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(self._as_postgres(str(PG_BIN / "createdb"), "-h", str(self.sockets),
                                         "-p", str(PORT), "jobdock"), check=True)
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data),
                                             "-m", "immediate", "-w", "stop"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
