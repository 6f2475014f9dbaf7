"""The base of the errors the core raises for bad input: a message meant for the user, never a bug.

Faces (CLI, GUI) show ``str(error)`` as is, without a traceback; anything else is a bug and keeps one.
"""


class IcaamError(Exception):
    """A problem with the user's input or files, said in one readable sentence."""
