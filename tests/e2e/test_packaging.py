"""What a newcomer and an operator rely on besides the code: every setting documented in the
README and in .env.example with defaults that load, the README's commands being the ones CI
runs, and a Dockerfile whose commands point at real modules."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = sorted(name.upper() for name in Settings.model_fields)
ASSIGNMENT = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$")
A_TOKEN = "123456789:AAExampleTokenForTheDocsTest"


def example_lines() -> dict[str, str]:
    """``NAME=value`` of .env.example, commented or not; each name must appear once."""
    found: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            name, value = match.groups()
            assert name not in found, f"{name} is assigned twice in .env.example"
            found[name] = value
    return found


@pytest.fixture
def no_settings_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in os.environ:
        if name.upper() in SETTINGS:
            monkeypatch.delenv(name)


def test_every_setting_is_in_the_readme_table_and_in_env_example() -> None:
    readme = (ROOT / "README.md").read_text()
    table = {m.group(1) for m in re.finditer(r"^\| `([A-Z0-9_]+)` \|", readme, re.M)}

    assert table == set(SETTINGS)
    assert set(example_lines()) == set(SETTINGS)


@pytest.mark.usefixtures("no_settings_in_environment")
def test_env_example_as_copied_asks_for_the_token(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text())

    with pytest.raises(SettingsError, match="setting BOT_TOKEN is empty"):
        load_settings(_env_file=env)


@pytest.mark.usefixtures("no_settings_in_environment")
def test_env_example_values_load_and_are_the_defaults(tmp_path: Path) -> None:
    examples = example_lines()
    env = tmp_path / ".env"
    env.write_text(
        "".join(f"{name}={value}\n" for name, value in examples.items() if value)
        + f"BOT_TOKEN={A_TOKEN}\n"
    )

    loaded = load_settings(_env_file=env)

    assert loaded.bot_token.get_secret_value() == A_TOKEN
    for name, field in Settings.model_fields.items():
        if field.default is not None and examples[name.upper()]:
            assert getattr(loaded, name) == field.default, name
    # The webhook examples are examples, not defaults; they must be valid ones.
    webhook = load_settings(_env_file=env, mode="webhook")
    assert webhook.webhook_url == examples["WEBHOOK_URL"]


def test_ci_runs_the_readme_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()

    assert ".venv/bin/pip install -e . && cp -n .env.example .env && .venv/bin/python -m bot" in (
        readme
    )
    assert ".venv/bin/pip install -e '.[dev]' && .venv/bin/pytest -q" in readme
    assert "\"$venv/bin/pip\" install -e '.[dev]'\n" in ci
    assert '"$venv/bin/pytest" -q\n' in ci
    assert "set -euo pipefail" in ci and "REQUIRE_POSTGRES=1" in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_the_dockerfile_installs_the_declared_dependencies_and_runs_real_modules() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    run = next(line for line in dockerfile.splitlines() if "tomllib" in line)
    code = shlex.split(run.split("python -c", 1)[1].split(">", 1)[0])[0]

    listed = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert listed == declared
    modules = re.findall(r'"python", "-m", "([\w.]+)"', dockerfile)
    assert sorted(modules) == ["bot", "bot.healthcheck"]
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert 'VOLUME ["/app/data"]' in dockerfile
