"""Throw-away PostgreSQL, Redis and MariaDB servers that fault tests may kill at will.

Each server lives in its own temporary directory on a free loopback port, runs in its own
process group (so SIGKILL takes its worker processes down with it, like a machine crash), and
is never one of the shared servers. Servers refuse to run as root, so when the tests run as
root the server runs as its packaged system user (``postgres``, ``mysql``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

from tests.waiting import wait_until

__all__ = [
    "PrivateMariaDB",
    "PrivatePostgres",
    "PrivateRedis",
    "PrivateServer",
    "ServerUnavailable",
    "free_port",
]

READY_TIMEOUT = 60.0
"""Seconds a server may take to accept connections (MariaDB's first start is the slowest)."""
POLL_INTERVAL = 0.05


class ServerUnavailable(RuntimeError):
    """The server binaries are missing or the server did not come up."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrivateServer(ABC):
    """One server process tree over one data directory, killable and restartable."""

    name: str
    run_as_user: str | None = None
    """System user the server runs as when the tests run as root."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"memmark-{self.name}-"))
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log = self.root / "server.log"
        self._user = self._system_user()
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)

    def _system_user(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0 or self.run_as_user is None:
            return None
        try:
            return pwd.getpwnam(self.run_as_user)
        except KeyError as exc:
            raise ServerUnavailable(f"no system user {self.run_as_user!r} to run as") from exc

    @abstractmethod
    def _command(self) -> list[str]:
        """The command that runs the server in the foreground."""

    @abstractmethod
    def _ready(self) -> bool:
        """Whether the server answers a real request."""

    def _prepare(self) -> None:  # noqa: B027 - most servers need no set-up
        """Create the data directory on first start."""

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (set-up on first start) and wait until it serves requests."""
        if self.running:
            return
        self._prepare()
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                self._command(),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=None if self._user is None else self._user.pw_uid,
                group=None if self._user is None else self._user.pw_gid,
            )
        try:
            wait_until(
                lambda: not self.running or self._ready(),
                f"{self.name} to answer",
                timeout=READY_TIMEOUT,
                interval=POLL_INTERVAL,
            )
        except AssertionError:
            pass
        if not (self.running and self._ready()):
            self.kill()
            raise ServerUnavailable(f"{self.name} did not start:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole server process tree and wait until it is gone."""
        if self._process is None:
            return
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._process.wait()
        self._process = None

    def restart(self) -> None:
        """Kill the server if it runs, then start it again on the same data and port."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """Shut the server down and delete its directory."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log, for error messages."""
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _run(self, command: list[str]) -> None:
        result = subprocess.run(
            command,
            cwd=self.root,
            capture_output=True,
            check=False,
            user=None if self._user is None else self._user.pw_uid,
            group=None if self._user is None else self._user.pw_gid,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise ServerUnavailable(f"{command[0]} failed:\n{output}")


def _binary(pattern: str) -> str:
    found = sorted(glob.glob(pattern))[-1:] or [shutil.which(pattern)]
    if found[0] is None:
        raise ServerUnavailable(f"{pattern} not found")
    return found[0]


class PrivatePostgres(PrivateServer):
    """A PostgreSQL cluster made by ``initdb``; user ``postgres``, trust auth, db ``postgres``."""

    name = "postgres"
    run_as_user = "postgres"

    def __init__(self) -> None:
        self._bin = Path(_binary("/usr/lib/postgresql/*/bin/postgres")).parent
        super().__init__()
        self.data = self.root / "data"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database over asyncpg."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _prepare(self) -> None:
        if not self.data.exists():
            self._run(
                [
                    str(self._bin / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            )

    def _command(self) -> list[str]:
        return [
            str(self._bin / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-k",
            str(self.root),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=60",
        ]

    def _ready(self) -> bool:
        result = subprocess.run(
            [str(self._bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            check=False,
        )
        return result.returncode == 0


class PrivateRedis(PrivateServer):
    """A ``redis-server`` writing every command to its AOF before replying."""

    name = "redis"

    def __init__(self) -> None:
        self._bin = _binary("redis-server")
        super().__init__()

    @property
    def url(self) -> str:
        """redis-py URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def _command(self) -> list[str]:
        return [
            self._bin,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.root),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--daemonize",
            "no",
            "--protected-mode",
            "no",
        ]

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class PrivateMariaDB(PrivateServer):
    """A MariaDB made by ``mariadb-install-db``; ``root`` without password, database ``test``."""

    name = "mariadb"
    run_as_user = "mysql"

    def __init__(self) -> None:
        self._bin = _binary("mariadbd")
        self._install = _binary("mariadb-install-db")
        self._client = _binary("mariadb")
        super().__init__()
        self.data = self.root / "data"
        self.socket = self.root / "mariadb.sock"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``test`` database over asyncmy."""
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/test?charset=utf8mb4"

    def _prepare(self) -> None:
        if self.data.exists():
            return
        self._run(
            [
                self._install,
                "--no-defaults",
                f"--datadir={self.data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ]
        )
        (self.root / "init.sql").write_text("CREATE DATABASE IF NOT EXISTS test;\n")

    def _command(self) -> list[str]:
        return [
            self._bin,
            "--no-defaults",
            f"--datadir={self.data}",
            f"--socket={self.socket}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={self.root / 'mariadb.pid'}",
            f"--init-file={self.root / 'init.sql'}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=32M",
            "--innodb-log-file-size=16M",
            "--innodb-flush-log-at-trx-commit=1",
            "--max-connections=100",
        ]

    def _ready(self) -> bool:
        result = subprocess.run(
            [
                self._client,
                "--no-defaults",
                "-uroot",
                "-h127.0.0.1",
                f"-P{self.port}",
                "-e",
                "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test'",
                "--batch",
                "--skip-column-names",
            ],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0 and result.stdout.strip() == b"1"
