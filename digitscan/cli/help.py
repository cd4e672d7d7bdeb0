"""Help pages without typer's type placeholders.

typer 0.28 (the range pyproject.toml declares: 0.29 made every start import pydantic) labels each option with
its Python type (`<bool>`, `<path>`, `<int range>`) and writes a required argument as `{inputs}...`. Here flags
show no placeholder, a value shows an upper-case name (`PATH`, `INT`, or its choices), and arguments are written
`INPUTS...` as in man pages. The commands and the group swap their parameters' classes for these subclasses
(and some types for renamed copies, `_retyped`); parsing is untouched.
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
        label = super().make_metavar(ctx).strip("<>")
        return label if "|" in label else label.upper()


class _Argument(TyperArgument):
    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        name = self.metavar if self.metavar is not None else (self.name or "").upper()
        if usage and not self.required:
            name = f"[{name}]"
        return name + ("..." if usage and self.nargs != 1 else "")


# A bounded number's type is named "int range" in the errors too ("'abc' is not a valid int range."): named as
# the unbounded one, as typer 0.29 told it ("a valid integer"); its bounds are still shown in the help.
_RANGE_NAMES = {"int range": "int", "float range": "float"}


def _retyped(kind: Any, **changes: Any) -> Any:
    """A copy of a parameter's type with `changes` made to it (the type object may be shared by other parameters)."""
    plain = copy.copy(kind)
    for name, value in changes.items():
        setattr(plain, name, value)
    return plain


def _plain(params: list[Any]) -> list[Any]:
    for param in params:
        if type(param) is TyperOption:
            param.__class__ = _Option
            if param.type.name in _RANGE_NAMES:
                param.type = _retyped(param.type, name=_RANGE_NAMES[param.type.name])
        elif type(param) is TyperArgument:
            param.__class__ = _Argument
            param.type = _retyped(param.type, get_metavar=lambda param, ctx: "")  # its name says what it is
    return params


class Command(TyperCommand):
    """A command whose help shows no type placeholders."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class Group(TyperGroup):
    """The command group, with the same plain help for its own options."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))
