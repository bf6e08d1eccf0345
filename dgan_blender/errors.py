"""User-facing errors: one line, naming what is wrong and how to fix it.

Shells (CLI, add-on, batch entry) catch :class:`DganError` and print its message
instead of a traceback; exit code 2 follows the convention for bad input.
"""


class DganError(Exception):
    """An error caused by the user's input, reported as a single line."""

    exit_code = 2


class ConfigError(DganError):
    """A preset or override is malformed: unknown field, wrong type, out of range."""
