"""The scenario explorer: ``/explore`` (a form generated from the ontology, with the verdicts of
every code as the form changes) and ``POST /check``, the same check as ``peergraph check``.

``POST /check`` takes one scenario file as the body (Turtle, or the JSON that ``peergraph
check`` reads) and answers exactly what ``peergraph check -f json`` prints for it; ``code``
fields in the query string do what ``--code`` does. The input is read and checked by the
same functions as the command's, so a problem gets the same sentence (naming the file as
``scenario.ttl`` or ``scenario.json``, with its line), as ``{"problems": [...]}`` with status 400.
A body over ``CHECK_BYTES`` is refused with 413; checks run at most ``CHECKS_AT_ONCE`` at a time
(counting those answered 503 that still run), and a check not answered within the endpoint's
time limit gets 503.
``POST /explore/scenario`` reads a file the same way and answers its scenarios as that JSON:
what the page does with an uploaded Turtle file.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path

from peergraph.errors import PeergraphError
from peergraph.scenarios.form import scenario_documents, vocabulary_for
from peergraph.scenarios.reading import read
from peergraph.scenarios.verdicts import Checker, as_json
from peergraph.scenarios.workspaces import Workspaces

# A scenario the form makes is under 10 KB, the largest shipped example file under 6 KB.
CHECK_BYTES = 256 * 1024
CHECKS_AT_ONCE = 2          # the check is CPU work; more at once only makes each slower
WAITED = "the checks before this one are still running; try again shortly"
SUFFIX_OF = {"text/turtle": ".ttl", "application/x-turtle": ".ttl", "application/json": ".json",
             "application/ld+json": ".json"}


class BadScenario(Exception):
    def __init__(self, status: int, problems: list[str]):
        super().__init__("; ".join(problems))
        self.status, self.problems = status, problems


class Explorer:
    """The verdict shapes and the form's vocabulary of a served graph, made once on first use."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._checker = self._vocabulary = None
        # Each check reads its file into a copy of the served graph, lent and given back, never
        # into the served graph itself. One copy is kept between checks (about the store's size
        # again: 6 MB at five codes); a second check at once makes a copy of its own.
        self.workspaces = Workspaces(endpoint.store, keep=1)

    @property
    def checker(self) -> Checker:
        with self._lock:
            if self._checker is None:
                self._checker = Checker(self.endpoint.layout, self.endpoint.store)
            return self._checker

    @property
    def vocabulary(self) -> dict:
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = vocabulary_for(self.endpoint.layout, self.endpoint.store)
            return self._vocabulary

    def check(self, body: bytes, suffix: str, codes: list[str]) -> str:
        """``peergraph check -f json`` of ``body`` as a file; BadScenario with the command's sentences."""
        checker = self.checker
        with _as_file(body, suffix) as (path, folder):
            try:
                with self.workspaces.lent() as store:
                    outcome = checker.check([path], codes or None, into=store)
            except PeergraphError as error:
                raise BadScenario(400, [_named(str(error), folder)]) from None
            if outcome.problems:
                raise BadScenario(400, [_named(p, folder) for p in outcome.problems])
            for scenario in outcome.scenarios:
                scenario.file = path.name
            return as_json(outcome)

    def scenarios(self, body: bytes, suffix: str) -> list[dict]:
        """The scenarios of ``body`` as the JSON format, after the same checks as ``check``."""
        with _as_file(body, suffix) as (path, folder):
            with self.workspaces.lent() as store:
                batch = read([path], self.endpoint.store, self.endpoint.layout.scenario_input_shapes, store)
                documents = [] if batch.problems else scenario_documents(batch)
            if batch.problems:
                raise BadScenario(400, [_named(p, folder) for p in batch.problems])
            return documents


class _as_file:
    """The body as ``scenario.ttl`` or ``scenario.json`` in a folder of its own, removed afterwards."""

    def __init__(self, body: bytes, suffix: str):
        self.body, self.suffix = body, suffix

    def __enter__(self):
        self.folder = tempfile.TemporaryDirectory(prefix="peergraph-check-")
        path = Path(self.folder.name) / ("scenario" + self.suffix)
        path.write_bytes(self.body)
        return path, self.folder.name

    def __exit__(self, *exc):
        self.folder.cleanup()


def _named(problem: str, folder: str) -> str:
    """A problem naming the file as the client sent it, without the server's folder."""
    return problem.replace(folder + "/", "")


def suffix_for(media: str, name: str | None) -> str:
    """The file suffix of a body: from its name, else from its media type."""
    if name and Path(name).suffix in (".ttl", ".json", ".jsonld"):
        return Path(name).suffix
    suffix = SUFFIX_OF.get(media.split(";")[0].strip().lower())
    if suffix is None:
        raise BadScenario(415, [f"cannot read a scenario sent as {media or 'no Content-Type'}; send text/turtle "
                                "or application/json (the formats `peergraph check` reads)"])
    return suffix


def routes(endpoint, templates) -> list:
    """The explorer's routes, to be placed before the catch-all resource route."""
    import anyio
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    explorer = Explorer(endpoint)
    settings = endpoint.settings
    checks = anyio.CapacityLimiter(CHECKS_AT_ONCE)
    # The limiter frees a check's place when the check passes the time limit and is answered 503,
    # but its thread runs on (a thread cannot be stopped): this semaphore, held by the thread until
    # its check ends, keeps the checks running at once to CHECKS_AT_ONCE all the same.
    running = threading.BoundedSemaphore(CHECKS_AT_ONCE)

    def in_turn(work, deadline: float):
        def run(body: bytes, suffix: str):
            if not running.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise BadScenario(503, [WAITED])
            try:
                if time.monotonic() >= deadline:   # answered 503 already: no one waits for this check
                    raise BadScenario(503, [WAITED])
                return work(body, suffix)
            finally:
                running.release()
        return run

    async def body_of(request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        too_large = BadScenario(413, [f"the scenario is over {CHECK_BYTES // 1024} KB, the limit of this server; "
                                      "check larger files with `peergraph check`"])
        if declared.isdigit() and int(declared) > CHECK_BYTES:
            raise too_large
        chunks, size = [], 0
        try:
            with anyio.fail_after(settings.head_timeout):
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > CHECK_BYTES:
                        raise too_large
                    chunks.append(chunk)
        except TimeoutError:
            raise BadScenario(408, [f"the scenario did not arrive within {settings.head_timeout:g} s"]) from None
        return b"".join(chunks)

    async def answer(request: Request, work) -> Response:
        try:
            suffix = suffix_for(request.headers.get("content-type", ""), request.query_params.get("name"))
            body = await body_of(request)
            deadline = time.monotonic() + settings.time_limit
            try:
                with anyio.fail_after(settings.time_limit):
                    return await anyio.to_thread.run_sync(in_turn(work, deadline), body, suffix, limiter=checks,
                                                          abandon_on_cancel=True)
            except TimeoutError:
                raise BadScenario(503, [f"the check took over {settings.time_limit:g} s; try again, or run "
                                        "`peergraph check` on the file"]) from None
        except BadScenario as bad:
            return JSONResponse({"problems": bad.problems}, status_code=bad.status)

    async def check(request: Request) -> Response:
        codes = request.query_params.getlist("code")
        return await answer(request, lambda body, suffix: Response(
            explorer.check(body, suffix, codes), media_type="application/json; charset=utf-8"))

    async def scenario(request: Request) -> Response:
        return await answer(request, lambda body, suffix: JSONResponse(explorer.scenarios(body, suffix)))

    async def page(request: Request) -> Response:
        vocabulary = await run_in_threadpool(lambda: explorer.vocabulary)
        html = templates.get_template("explore.html.j2").render(
            vocabulary=json.dumps(vocabulary, ensure_ascii=False).replace("</", "<\\/"), codes=vocabulary["codes"])
        return HTMLResponse(html)

    async def vocabulary(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(lambda: explorer.vocabulary))

    return [
        Route("/explore", page, methods=["GET"]),
        Route("/explore/vocabulary", vocabulary, methods=["GET"]),
        Route("/explore/scenario", scenario, methods=["POST"]),
        Route("/check", check, methods=["POST"]),
    ]
