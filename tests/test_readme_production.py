"""The README's production section, followed in a fresh clone (docs/decisions/0018).

The commands are the README's own: the fenced block after the `production-steps` marker, read line by
line. Each one is run as written, with these translations only, because the test is an ordinary user
on a shared machine:

- paths under /opt, /etc and /var/lib move into a temporary root; `sudo` is dropped with its
  `-u <user>`, and so are `-o <user>` and `-g <group>` (nobody else can own a file here);
- `git clone <this repository>` clones this working tree's HEAD (committed work only);
- `make install` runs for real, unless KETACARE_README_REUSE_VENV=1 links this checkout's .venv instead;
- `useradd` is the one command not run (the services run as the current user);
- `sudoedit` of the environment file makes the edits a clinic makes, on a free port on 127.0.0.1;
- `ketacare setup` gets its answers from its `KETACARE_SETUP_*` variables, with `--no-input` added;
- `systemctl enable --now` starts each unit's ExecStart with the unit's Environment= and
  EnvironmentFile= (the file wins, as in systemd), from its WorkingDirectory, in its own session;
- the final `curl` runs against that port.

A command it does not recognise fails the test: the README and this test change together. After the
start it checks what a clinic would: the clinic setup made is in the services' database, /healthz,
/readyz, the sign-in page through the proxy's headers (and the redirect to https without them), /metrics answering only its token, and the worker running its
schedules; then it stops both services with SIGTERM, as systemd does.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from harness import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- production-steps"
HOST = "care.example.org"


def production_steps(readme: str) -> list[str]:
    """The shell lines of the fenced block that follows the marker (comments stripped)."""
    after = readme[readme.index(MARKER) :]
    block = re.search(r"```sh\n(.*?)```", after, re.S)
    assert block, "the production-steps marker must precede a ```sh block"
    lines = []
    for raw in block.group(1).splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line:
            lines.append(line)
    return lines


def test_the_readme_marks_its_production_steps() -> None:
    steps = production_steps((ROOT / "README.md").read_text())
    assert steps[0].startswith("git clone <this repository> /opt/ketacare")
    assert any("systemctl enable --now ketacare-web ketacare-worker" in s for s in steps)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects; HTTP errors are statuses."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - checked just above
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them (comments and blank lines skipped)."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def _unit_service_section(path: Path) -> dict[str, list[str]]:
    """The [Service] settings of a unit file; a setting given twice keeps both (as Environment= does)."""
    section, settings_by_key = "", {}  # type: ignore[var-annotated]
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service":
            key, _, value = line.partition("=")
            settings_by_key.setdefault(key.strip(), []).append(value.strip())
    return settings_by_key


class Follower:
    """Runs the README's lines in a temporary root as described in the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cwd = root
        self.port = free_port()
        self.metrics_token = secrets.token_urlsafe(32)
        self.services: dict[str, subprocess.Popen[bytes]] = {}
        self.logs = root / "logs"
        self.logs.mkdir()
        # What every Debian machine already has.
        for directory in ("opt", "etc/systemd/system", "var/lib"):
            (root / directory).mkdir(parents=True)
        # The machine's own environment, without any KetaCare setting of the caller's.
        self.base_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("KETACARE_", "DATABASE_URL", "DJANGO_", "PROMETHEUS_", "VIRTUAL_ENV"))
        }

    def path(self, text: str) -> str:
        for prefix in ("/opt/", "/etc/", "/var/lib/"):
            text = re.sub(rf"(?<![\w/.]){re.escape(prefix)}", f"{self.root}{prefix}", text)
        return text.replace("127.0.0.1:8000", f"127.0.0.1:{self.port}")

    def run(self, line: str) -> None:
        for command in (c.strip() for c in line.split("&&")):
            self.command(shlex.split(command))

    def shell(self, argv: list[str], timeout: int = 600) -> None:
        result = subprocess.run(
            argv, cwd=self.cwd, env=self.base_env, capture_output=True, text=True, timeout=timeout
        )
        assert result.returncode == 0, (
            f"{shlex.join(argv)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )

    def command(self, argv: list[str]) -> None:
        if argv[0] == "sudo":
            argv = argv[1:]
            if argv[0] == "-u":
                argv = argv[2:]  # the service user: here the current one
        name = argv[0]
        if name == "git" and argv[1:3] == ["clone", "<this"]:
            self.shell(["git", "clone", "--quiet", str(ROOT), self.path(argv[4])])
        elif name == "cd":
            self.cwd = Path(self.path(argv[1]))
        elif argv == ["make", "install"]:
            if os.environ.get("KETACARE_README_REUSE_VENV") == "1":
                (self.cwd / ".venv").symlink_to(Path(sys.executable).parents[1])
                # The linked environment imports ketacare from this checkout; the clone's code comes first.
                self.base_env["PYTHONPATH"] = str(self.cwd)
            else:
                self.shell(["make", "install"], timeout=900)
        elif name == "useradd":
            pass  # the services run as the current user
        elif name == "env" and "setup" in argv:
            self.set_up([self.path(arg) for arg in argv])
        elif name in ("install", "cp"):
            args, skip = [], False
            for arg in argv[1:]:
                if skip:
                    skip = False
                elif arg in ("-o", "-g"):
                    skip = True
                else:
                    args.append(self.path(arg))
            self.shell([name, *args])
        elif name == "sudoedit":
            self.edit_environment(Path(self.path(argv[1])))
        elif name == "systemctl" and argv[1] == "daemon-reload":
            pass
        elif name == "systemctl" and argv[1:3] == ["enable", "--now"]:
            for unit in argv[3:]:
                self.start(unit)
        elif name == "curl":
            url = self.path(argv[-1])
            assert _wait(lambda: _get(url)[0] == 200, 180), f"{url} not answering 200\n{self.tail()}"
        else:
            raise AssertionError(
                f"the README's production steps have a command this test does not follow: {argv}"
            )

    def set_up(self, argv: list[str]) -> None:
        """`ketacare setup` as the README runs it, answered by its variables instead of the prompts."""
        answers = {
            "KETACARE_SETUP_ORGANISATION": "Bright Path Health",
            "KETACARE_SETUP_CLINIC": "Bright Path Boston",
            "KETACARE_SETUP_PHONE": "+1 617 555 0100",
            "KETACARE_SETUP_ADMIN_NAME": "Ada Admin",
            "KETACARE_SETUP_ADMIN_EMAIL": "ada@brightpath.example",
            "KETACARE_SETUP_ADMIN_PASSWORD": "first administrator's passphrase",
        }
        result = subprocess.run(
            [*argv, "--no-input"],
            cwd=self.cwd,
            env=self.base_env | answers,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        # The public address comes from the environment file, as the services will read it.
        assert f"Log in at https://{HOST}/accounts/login/" in result.stdout, result.stdout

    def edit_environment(self, path: Path) -> None:
        """What a clinic sets in the copied example (the rest stays as shipped)."""
        text = path.read_text()
        edits = {
            "KETACARE_METRICS_TOKEN": self.metrics_token,
            # The messages go to files here instead of the example's mail server.
            "KETACARE_EMAIL_URL": f"file://{self.root}/mail",
            "KETACARE_BIND": f"127.0.0.1:{self.port}",
            "KETACARE_WEB_WORKERS": "2",
            "KETACARE_QUEUE_WORKERS": "1",
        }
        for key, value in edits.items():
            line = f"{key}={value}"
            text, n = re.subn(rf"^{key}=.*$", line, text, flags=re.M)
            if not n:
                text += f"\n{line}\n"
        path.write_text(text)

    def start(self, unit: str) -> None:
        service = _unit_service_section(self.root / "etc" / "systemd" / "system" / f"{unit}.service")
        env = dict(self.base_env)
        for line in service.get("Environment", []):
            for assignment in shlex.split(self.path(line)):
                key, _, value = assignment.partition("=")
                env[key] = value
        for line in service["EnvironmentFile"]:
            env.update(_read_env_file(Path(self.path(line))))
        [exec_start] = service["ExecStart"]
        [directory] = service["WorkingDirectory"]
        with open(self.logs / f"{unit}.log", "w") as log:
            self.services[unit] = subprocess.Popen(
                shlex.split(self.path(exec_start)),
                cwd=self.path(directory),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log")))

    def stop(self) -> dict[str, int | None]:
        """SIGTERM to each main process, as systemd stops them; their exit codes."""
        codes: dict[str, int | None] = {}
        for process in self.services.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for unit, process in self.services.items():
            try:
                codes[unit] = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                codes[unit] = None
        return codes


@contextmanager
def followed() -> Iterator[Follower]:
    root = Path(tempfile.mkdtemp(prefix="ketacare-readme-"))
    follower = Follower(root)
    try:
        yield follower
    finally:
        for process in follower.services.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_following_the_production_section_in_a_fresh_clone_serves_and_runs_the_worker() -> None:
    with followed() as f:
        for line in production_steps((ROOT / "README.md").read_text()):
            f.run(line)
        base = f"http://127.0.0.1:{f.port}"
        proxied = {"Host": HOST, "X-Forwarded-Proto": "https"}
        database = f.root / "var" / "lib" / "ketacare" / "ketacare.sqlite3"
        # `ketacare setup` filled the database the services use.
        with sqlite3.connect(database, timeout=30) as db:
            assert db.execute("SELECT name FROM clinics_clinic").fetchall() == [("Bright Path Boston",)]

        status, _, body = _get(f"{base}/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok"}, f.tail()
        status, _, body = _get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["checks"] == {"database": "ok", "queue": "ok"}, body

        # Through the proxy (TLS ended there): the sign-in page.
        status, headers, body = _get(f"{base}/accounts/login/", proxied)
        assert status == 200 and b'name="password"' in body, (status, f.tail())
        assert "Strict-Transport-Security" in headers
        # Straight to the application over plain http: sent to https.
        status, headers, _ = _get(f"{base}/accounts/login/", {"Host": HOST})
        assert status == 301 and headers["Location"] == f"https://{HOST}/accounts/login/"
        # A static file is served (collected at start).
        status, _, _ = _get(f"{base}/static/ketacare/app.css", proxied)
        assert status == 200, f.tail()

        # Metrics answer only their token.
        assert _get(f"{base}/metrics")[0] == 404
        assert _get(f"{base}/metrics", {"Authorization": "Bearer not-the-token-0123456789abc"})[0] == 404
        status, _, body = _get(f"{base}/metrics", {"Authorization": f"Bearer {f.metrics_token}"})
        assert status == 200 and b"ketacare_queue_depth" in body and b"ketacare_http_requests" in body

        # The worker runs its schedules by itself (no cron): the escalation job has run.

        def escalations_ran() -> bool:
            with sqlite3.connect(database, timeout=30) as db:
                rows = db.execute(
                    "SELECT COUNT(*) FROM django_q_task WHERE func = 'ketacare.jobs.escalate_alerts' AND success"
                ).fetchone()
            return bool(rows[0])

        assert _wait(escalations_ran, 120), f.tail()
        codes = f.stop()
        assert codes == {"ketacare-web": 0, "ketacare-worker": 0}, (codes, f.tail())
