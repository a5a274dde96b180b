"""Every command and every option of ``jobdock`` (extensions' commands included) says what
it is for in ``--help``: a bare ``--engine <str>`` leaves a newcomer guessing."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperOption

from jobdock.cli.main import add_extension_commands, app


def _commands(command: Any, path: list[str]) -> list[tuple[str, Any]]:
    if hasattr(command, "list_commands"):
        found = []
        for name in command.list_commands(None):
            found += _commands(command.get_command(None, name), [*path, name])
        return found
    return [(" ".join(path), command)]


def test_every_command_and_option_has_a_help_text() -> None:
    add_extension_commands()
    commands = _commands(typer.main.get_command(app), ["jobdock"])
    names = {name for name, _ in commands}
    assert {"jobdock jobs list", "jobdock documents add", "jobdock connections list",
            "jobdock integrations settings"} <= names
    missing = [f"{name}: command" for name, command in commands
               if not (command.help or "").strip()]
    missing += [f"{name} {param.opts[0]}" for name, command in commands
                for param in command.params
                if isinstance(param, TyperOption) and param.name != "help"
                and not (param.help or "").strip()]
    assert missing == []
