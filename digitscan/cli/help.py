"""Help pages without typer's type placeholders.

typer 0.29 (the range pyproject.toml declares) labels every option with its Python type (`<bool>`, `<path>`,
`<int range>`) and writes a required argument as `{inputs}...`. Here flags show no placeholder, a value shows
an upper-case name (`PATH`, `INT`, or its choices), and arguments are written `INPUTS...` as in man pages. The
commands and the group swap their parameters' classes for these subclasses when help is rendered; parsing is
untouched.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


class _Option(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None  # a switch takes no value: nothing to show
        if self.metavar is not None:
            return self.metavar
        label = self.display_type(ctx).strip("<>").removesuffix(" range")
        if label.startswith("list[") and label.endswith("]"):
            label = label[len("list[") : -1]  # a repeatable option takes one value each time
        return label if "|" in label else label.upper()


class _Argument(TyperArgument):
    @property
    def display_name_raw(self) -> str:
        return self.metavar if self.metavar is not None else self.name.upper()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the name says what it is

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = _Option
        elif type(param) is TyperArgument:
            param.__class__ = _Argument
    return params


class Command(TyperCommand):
    """A command whose help shows no type placeholders."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class Group(TyperGroup):
    """The command group, with the same plain help for its own options."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))
