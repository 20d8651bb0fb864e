"""A real Prometheus (Debian's ``prometheus`` package) scraping ``nspawn-tui export``, on loopback.

- :func:`unavailable_reason`: why the test must skip (no ``/usr/bin/prometheus``).
- :class:`Exporter`: the installed ``nspawn-tui export --listen 127.0.0.1:0 ARGS...``
  started with an environment of the test's own (``HOME`` and
  ``XDG_CONFIG_HOME`` in its temporary directory: never the user's config);
  :attr:`Exporter.url` and :attr:`Exporter.target` come from the line it
  prints ("serving metrics on http://127.0.0.1:PORT/metrics").
- :class:`Prometheus`: ``prometheus`` with a scrape config of its own (every
  second, the given targets), its TSDB in the test's directory, its web API
  on a free loopback port; :meth:`Prometheus.wait_for` polls an instant query
  through ``/api/v1/query`` until a series satisfies a condition.

Both are tagged with the lab's prefix (``NTL_LAB_TAG``, so a crashed
session's leftovers are swept), run in their own session, and are ended by
``close()`` (SIGTERM, then SIGKILL): use them as context managers.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .common import LabError, tag_env

PROMETHEUS = Path("/usr/bin/prometheus")
NSPAWN_TUI = Path(sys.prefix) / "bin" / "nspawn-tui"
READY_LINE = "nspawn-tui: serving metrics on "


def unavailable_reason() -> str | None:
    if not PROMETHEUS.exists():
        return f"{PROMETHEUS} is missing (apt-get install prometheus; make lab-deps does)"
    if not NSPAWN_TUI.exists():
        return f"{NSPAWN_TUI} is missing: install the project into the venv"
    return None


def free_port() -> int:
    """A loopback TCP port free right now (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _end(process: subprocess.Popen[bytes], grace: float = 10.0) -> int:
    """SIGTERM, then SIGKILL after ``grace`` seconds; its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


class _Process:
    process: subprocess.Popen[bytes] | None = None
    status: int | None = None

    def close(self) -> None:
        if self.process is not None:
            self.status = _end(self.process)
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
            self.process = None

    def __enter__(self) -> _Process:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Exporter(_Process):
    """``nspawn-tui export --listen 127.0.0.1:0 --interval 1 ARGS...`` until :meth:`close`."""

    def __init__(
        self,
        args: Sequence[str],
        workdir: Path,
        *,
        prefix: str,
        env: Mapping[str, str] | None = None,
        interval: float = 1.0,
    ) -> None:
        self.workdir = workdir
        self.argv = [str(NSPAWN_TUI), "export", "--listen", "127.0.0.1:0"]
        self.argv += ["--interval", str(interval), *args]
        base = dict(os.environ if env is None else env)
        home = workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        base.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
        self.env = tag_env(prefix, base)
        self.stderr_path = workdir / "exporter.stderr"
        self.url = ""

    def start(self, timeout: float = 30.0) -> Exporter:
        with open(self.stderr_path, "wb") as errors:
            self.process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=self.env,
                start_new_session=True,
            )
        try:
            line = self._first_line(timeout)
            if not line.startswith(READY_LINE):
                raise LabError(f"nspawn-tui export printed {line!r}; {self.errors()}")
            self.url = line[len(READY_LINE) :].strip()
        except BaseException:
            self.close()
            raise
        return self

    def _first_line(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        fd = self.process.stdout.fileno()
        data = b""
        deadline = time.monotonic() + timeout
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LabError(f"nspawn-tui export said nothing in {timeout} s; {self.errors()}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    status = self.process.wait(5)
                    raise LabError(f"nspawn-tui export ended ({status}); {self.errors()}")
                data += chunk
        return data.partition(b"\n")[0].decode("utf-8", "replace")

    @property
    def target(self) -> str:
        """``127.0.0.1:PORT``: the address for a scrape config."""
        return urllib.parse.urlsplit(self.url).netloc

    def errors(self) -> str:
        text = self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
        return f"its stderr: {text[-2000:]!r}"

    def scrape(self) -> str:
        with urllib.request.urlopen(self.url, timeout=10) as response:
            return str(response.read().decode("utf-8"))


class Prometheus(_Process):
    """``prometheus`` scraping ``targets`` every second, with its API on a free loopback port."""

    def __init__(
        self, targets: Sequence[str], workdir: Path, *, prefix: str, interval: str = "1s"
    ) -> None:
        self.workdir = workdir
        self.targets = list(targets)
        self.interval = interval
        self.prefix = prefix
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "prometheus.log"

    def config_text(self) -> str:
        targets = ", ".join(json.dumps(target) for target in self.targets)
        return (
            "global:\n"
            f"  scrape_interval: {self.interval}\n"
            f"  evaluation_interval: {self.interval}\n"
            "scrape_configs:\n"
            "  - job_name: nspawn-tui\n"
            f"    scrape_interval: {self.interval}\n"
            f"    scrape_timeout: {self.interval}\n"
            "    static_configs:\n"
            f"      - targets: [{targets}]\n"
        )

    def start(self, timeout: float = 30.0) -> Prometheus:
        config = self.workdir / "prometheus.yml"
        config.write_text(self.config_text())
        (self.workdir / "data").mkdir(exist_ok=True)
        argv = [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=tag_env(self.prefix),
                start_new_session=True,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.close()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise LabError(f"prometheus ended ({self.process.returncode}); {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise LabError(f"prometheus not ready in {timeout} s; {self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"its log: {text[-3000:]!r}"

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query: the result vector, ``[{"metric": {...}, "value": [t, "v"]}]``."""
        url = f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as response:
            answer = json.load(response)
        if answer.get("status") != "success":
            raise LabError(f"query {promql!r} failed: {answer!r}")
        result = answer["data"]["result"]
        assert isinstance(result, list)
        return result

    def values(self, promql: str) -> list[tuple[dict[str, str], float]]:
        """Each series of an instant query as (labels, value)."""
        return [(item["metric"], float(item["value"][1])) for item in self.query(promql)]

    def wait_for(
        self,
        promql: str,
        accept: Callable[[float], bool] = lambda value: True,
        timeout: float = 30.0,
    ) -> list[tuple[dict[str, str], float]]:
        """Poll ``promql`` until some series' value passes ``accept``; those series."""
        deadline = time.monotonic() + timeout
        seen: list[tuple[dict[str, str], float]] = []
        while time.monotonic() < deadline:
            seen = self.values(promql)
            passing = [(labels, value) for labels, value in seen if accept(value)]
            if passing:
                return passing
            time.sleep(0.5)
        targets = self.query_targets()
        raise LabError(f"{promql!r}: no accepted value in {timeout} s (last {seen!r}); {targets}")

    def query_targets(self) -> str:
        """The scrape targets' health and last error, for a failure's message."""
        try:
            with urllib.request.urlopen(f"{self.base}/api/v1/targets", timeout=5) as response:
                active = json.load(response)["data"]["activeTargets"]
        except (OSError, ValueError, KeyError) as error:
            return f"targets unreadable: {error}"
        return "targets: " + "; ".join(
            f"{t.get('scrapeUrl')} {t.get('health')} {t.get('lastError')!r}" for t in active
        )
