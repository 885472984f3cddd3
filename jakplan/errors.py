"""The one exception type jakplan raises for anything the user can fix (bad input, bad files)."""


class JakplanError(Exception):
    """A problem with the user's input or files; its message is one line, fit to print as is."""
