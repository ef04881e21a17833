"""The one error type the command line turns into a message and a non-zero exit."""


class PeergraphError(Exception):
    """A problem the user can fix: the message names the file, line or term and what to do."""
