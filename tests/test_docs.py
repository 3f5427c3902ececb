"""The README and `pilot --help` list the same commands."""

import re
from pathlib import Path

from typer.main import get_command

from pipeline.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def cli_commands() -> set[str]:
    return set(get_command(app).commands)


def readme_commands() -> set[str]:
    return set(re.findall(r"^\| `pilot (\w+)", README, flags=re.MULTILINE))


def test_readme_lists_exactly_the_cli_commands():
    assert readme_commands() == cli_commands()


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_command_has_help_text():
    for name, command in get_command(app).commands.items():
        assert command.help, name


def test_every_command_takes_warehouse_and_quiet_as_the_readme_says():
    text = " ".join(README.split())
    assert "Every command takes `--warehouse PATH`" in text
    assert "and `--quiet`, before or after its name" in text
    for name, command in get_command(app).commands.items():
        options = {opt for param in command.params for opt in param.opts}
        assert {"--warehouse", "--quiet", "-q"} <= options, name
