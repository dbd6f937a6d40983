"""Whole-program fixtures: the shared fake Bot API server and a runner for ``python -m bot``.

Each run is the real program in a subprocess, started in the test's own directory (so no
``.env`` of the checkout leaks in), with stdout and stderr captured together in a file.
Every run's capture is checked for the bot token when the test ends.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.settings import Settings
from tests.e2e.fakebotapi import FakeBot, FakeBotApi

# Generous: a start costs ~1-2 s; these only bound a hung program.
EXIT_TIMEOUT = 30.0
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


@dataclass
class Program:
    """One run of ``python -m bot``."""

    process: subprocess.Popen[bytes]
    log_path: Path
    secrets: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        """Everything the program wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = EXIT_TIMEOUT) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the program did not exit; output:\n{self.output}") from None

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig`` and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.wait()

    def why_gone(self) -> str | None:
        code = self.process.poll()
        if code is None:
            return None
        return f"the program exited with {code}; output:\n{self.output[-6000:]}"

    def assert_alive(self) -> None:
        code = self.process.poll()
        assert code is None, f"the program exited with {code}; output:\n{self.output}"

    def assert_no_secrets(self) -> None:
        output = self.output
        for secret in self.secrets:
            for form in {secret, quote(secret, safe=""), quote(secret)}:
                assert form not in output, f"a secret leaked into the output:\n{output}"


class Runner:
    """Starts the program with a clean environment plus the settings a test gives."""

    def __init__(self, workdir: Path, api: FakeBotApi) -> None:
        self.workdir = workdir
        self.api = api
        self.runs: list[Program] = []
        base = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
        self.base_env = base | {"NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}

    def start(
        self, settings: dict[str, str], module: str = "bot", open_files: int | None = None
    ) -> Program:
        """Start ``python -m module``; ``open_files`` limits its file descriptors."""
        log_path = self.workdir / f"run{len(self.runs)}.log"

        def limit_files() -> None:  # runs in the child, before the program
            if open_files is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", module],
                cwd=self.workdir,
                env=self.base_env | settings,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=limit_files,
            )
        secrets = [v for k, v in settings.items() if k in {"BOT_TOKEN", "WEBHOOK_SECRET"} and v]
        program = Program(process, log_path, secrets)
        self.runs.append(program)
        bot = self.api.bots.get(settings.get("BOT_TOKEN", ""))
        if bot is not None and module == "bot":
            bot.gone = program.why_gone
        return program

    def run(self, settings: dict[str, str], module: str = "bot") -> Program:
        """Start and wait for the exit."""
        program = self.start(settings, module)
        program.wait()
        return program

    def close(self) -> None:
        for program in self.runs:
            if program.process.poll() is None:
                program.process.kill()
                program.process.wait()


@pytest.fixture(scope="session")
def fake_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi().start()
    yield api
    api.close()


@pytest.fixture
def bot(fake_api: FakeBotApi) -> FakeBot:
    """A fresh token known to the fake API."""
    return fake_api.new_bot()


@pytest.fixture
def runner(tmp_path: Path, fake_api: FakeBotApi) -> Iterator[Runner]:
    runner = Runner(tmp_path, fake_api)
    yield runner
    runner.close()
    for program in runner.runs:
        program.assert_no_secrets()


@pytest.fixture
def bot_env(bot: FakeBot, fake_api: FakeBotApi, tmp_path: Path) -> dict[str, str]:
    """Settings of a polling bot on a fresh SQLite file, talking to the fake API."""
    return {
        "BOT_TOKEN": bot.token,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "TELEGRAM_BASE_URL": fake_api.base_url,
        "LOG_LEVEL": "DEBUG",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
