"""The one exception of the configuration stage."""

from __future__ import annotations


def one_line(text) -> str:
    """``text`` on one line: line breaks become spaces, other control characters (a
    terminal escape in a file name or key) are shown escaped."""
    text = " ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


class ConfigError(ValueError):
    """A configuration mistake the user can fix (the CLI exits with code 2). The message
    is always one line (:func:`one_line`), whatever file names or keys it quotes."""

    def __init__(self, message="", *args):
        super().__init__(one_line(message), *args)
