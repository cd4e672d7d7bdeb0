"""digitscan.errors: what counts as the user's interrupt."""

from __future__ import annotations

from support import interrupt_in_c_code

from digitscan.errors import is_interrupt


def test_an_interrupt_wrapped_by_c_code_is_still_an_interrupt() -> None:
    assert is_interrupt(KeyboardInterrupt())
    assert is_interrupt(interrupt_in_c_code())
    try:
        raise RuntimeError("cleanup failed") from interrupt_in_c_code()
    except RuntimeError as chained:
        assert is_interrupt(chained)
    assert not is_interrupt(SystemError("a real bug"))
    assert not is_interrupt(RuntimeError("boom"))
    assert not is_interrupt(None)
