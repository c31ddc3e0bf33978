"""The project's own error type: every problem with user input is raised as InputError."""


class InputError(ValueError):
    """Bad user input (shape, joint count, NaN, units, malformed file); the message names it."""
