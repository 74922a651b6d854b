"""The ``playbook`` command: one group, each subcommand in its own module.

Subcommands load lazily so ``playbook --help`` stays fast (no pandas import).
Exit codes: 0 success, 1 a notebook or computation failed, 2 bad input or usage.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of the click command
COMMANDS = {
    "run": "helpers.cli.run:run",
    "watch": "helpers.cli.watch:watch",
    "validate": "helpers.cli.validate:validate",
    "calibrate": "helpers.cli.calibrate:calibrate",
    "case": "helpers.cli.case:case",
    "select": "helpers.cli.select:select",
    "new-quarter": "helpers.cli.validate:new_quarter",
    "templates": "helpers.cli.templates:templates",
    "template": "helpers.cli.template:template",
    "approve": "helpers.cli.approve:approve",
    "ledger": "helpers.cli.approve:ledger",
    "export": "helpers.cli.export:export",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="marketing-it-playbook")
def main() -> None:
    """The Marketing–IT decision playbook: validate, calibrate, score, publish."""
