"""Help pages without typer's type placeholders.

typer 0.28 (the range pyproject.toml declares: 0.29 made every start import pydantic) labels each option with
its Python type (`<bool>`, `<path>`, `<int range>`) and writes a required argument as `{inputs}...`. Here flags
show no placeholder, a value shows an upper-case name (`PATH`, `INT`, or its choices), and arguments are written
`INPUTS...` as in man pages. The commands and the group swap their parameters' classes for these subclasses
(and an argument's type for an unlabelled copy); parsing is untouched.
"""

from __future__ import annotations

import copy
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


class _Option(TyperOption):
    def make_metavar(self, ctx: Any) -> str:
        if self.is_flag or self.count:
            return ""  # a switch takes no value: nothing to show
        if self.metavar is not None:
            return self.metavar
        label = super().make_metavar(ctx).strip("<>").removesuffix(" range")
        return label if "|" in label else label.upper()


class _Argument(TyperArgument):
    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        name = self.metavar if self.metavar is not None else (self.name or "").upper()
        if usage and not self.required:
            name = f"[{name}]"
        return name + ("..." if usage and self.nargs != 1 else "")


def _unlabelled(kind: Any) -> Any:
    """A copy of an argument's type that names no type in the help's table (the argument's name says it)."""
    if getattr(kind, "_unlabelled", False):
        return kind
    plain = copy.copy(kind)
    plain.__class__ = type(f"Unlabelled{type(kind).__name__}", (type(kind),), {"_unlabelled": True})
    plain.get_metavar = lambda param, ctx: ""
    return plain


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = _Option
        elif type(param) is TyperArgument:
            param.__class__ = _Argument
            param.type = _unlabelled(param.type)
    return params


class Command(TyperCommand):
    """A command whose help shows no type placeholders."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class Group(TyperGroup):
    """The command group, with the same plain help for its own options."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))
