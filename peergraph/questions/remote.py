"""A named question (or SELECT text) run against any SPARQL 1.1 endpoint over HTTP.

Only ``http`` and ``https`` endpoints are queried, redirects included; the answer is read as it
arrives, and refused past a size or a deadline.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from peergraph.errors import PeergraphError
from peergraph.graph.store import bind
from peergraph.questions.library import NamedQuery
from peergraph.questions.limits import MAX_ANSWER_BYTES  # peergraph's own endpoint answers at most 64 MB
from peergraph.questions.queries import label_of, prepared, result_of
from peergraph.questions.results import Result

ANSWER_TYPES = "application/sparql-results+json, application/sparql-results+xml;q=0.9"


def run_remote(endpoint: str, query: NamedQuery | str, params: dict[str, str] | None = None,
               timeout: float = 60, max_answer_bytes: int = MAX_ANSWER_BYTES) -> Result:
    """Run a named question against a SPARQL endpoint (the endpoint decides which graphs it queries).

    Only ``http`` and ``https`` endpoints are queried. The answer is read as it arrives and
    refused past ``max_answer_bytes`` or ``timeout`` seconds in all.
    """
    named_query, text, bindings = prepared(query, params)
    _check_endpoint(endpoint)
    try:
        body = urlencode({"query": bind(text, bindings)}).encode("utf-8")
    except ValueError as error:
        raise PeergraphError(f"{label_of(named_query)}: {error}") from error
    request = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Accept": ANSWER_TYPES, "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "peergraph"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            answer = _CappedAnswer(response, max_answer_bytes, time.monotonic() + timeout)
            return _read_answer(endpoint, answer, response.headers.get_content_type())
    except urllib.error.HTTPError as error:
        detail = " ".join(error.read(600).decode("utf-8", "replace").split())
        raise PeergraphError(f"{endpoint} refused {label_of(named_query)}: HTTP {error.code} {error.reason}"
                             f"{': ' + detail if detail else ''}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise PeergraphError(f"cannot query {endpoint}: {reason}; "
                             "is the endpoint URL right and the server up?") from None


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PeergraphError(f"--endpoint {endpoint!r}: give the URL of a SPARQL endpoint, http://… or https://…; "
                             "other schemes (file:, ftp:, …) are not queried")


class _NoOtherSchemes(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another http or https URL (urllib would also follow ftp:)."""

    def redirect_request(self, request, fp, code, message, headers, new_url):
        if urlsplit(new_url).scheme not in ("http", "https"):
            raise urllib.error.HTTPError(new_url, code, f"redirected to {new_url}, which is not http or https",
                                         headers, fp)
        return super().redirect_request(request, fp, code, message, headers, new_url)


_OPENER = urllib.request.build_opener(_NoOtherSchemes)


class _AnswerTooLarge(Exception):
    pass


class _CappedAnswer:
    """A response read as it arrives, that refuses to go past a size or a deadline."""

    def __init__(self, response, limit: int, deadline: float):
        self.response, self.limit, self.deadline = response, limit, deadline
        self.size = 0
        self.failure: str | None = None

    def read(self, size: int = -1) -> bytes:
        wanted = self.limit + 1 - self.size
        chunk = self.response.read(min(size, wanted) if size is not None and size >= 0 else wanted)
        self.size += len(chunk)
        if self.size > self.limit:
            self.failure = (f"the answer is over {self.limit // 1024**2} MB ({self.limit} bytes), the limit for "
                            "an answer; add a LIMIT (and OFFSET to page) or raise the limit with --max-answer-mb")
        elif time.monotonic() > self.deadline:
            self.failure = "the answer did not arrive in time; add a LIMIT or narrow the query"
        if self.failure:
            raise _AnswerTooLarge(self.failure)
        return chunk


def _read_answer(endpoint: str, answer: _CappedAnswer, media_type: str) -> Result:
    answer_format = ox.QueryResultsFormat.from_media_type(media_type) or ox.QueryResultsFormat.JSON
    try:
        solutions = ox.parse_query_results(answer, answer_format)
        if not isinstance(solutions, ox.QuerySolutions):
            raise PeergraphError(f"{endpoint} did not answer with SELECT results; only SELECT results can be shown")
        return result_of(solutions)
    except PeergraphError:
        raise
    except Exception as error:   # noqa: BLE001 - the parser reports a cut-off answer in its own way
        if answer.failure:
            raise PeergraphError(f"{endpoint}: {answer.failure}") from None
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PeergraphError(f"{endpoint} did not answer with SELECT results ({media_type}): {message}") from None
