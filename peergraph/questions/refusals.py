"""Why a query is not run: refused by policy (403), or malformed or too large (400)."""

from peergraph.errors import PeergraphError


class Refused(PeergraphError):
    """A request the endpoint will not run; the message says why. ``status`` is its HTTP status."""

    status = 403  # a well-formed query that asks for what is not allowed here


class Malformed(Refused):
    """A text that is not SPARQL, or asks for more work than any query needs: a bad request."""

    status = 400
