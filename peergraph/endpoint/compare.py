"""``/compare?a=CODE&b=CODE``: two codes concept by concept, as a page or as CSV (``format=csv``);
with ``view=similar``, code A read against each provision of code B, for a code whose own text
sets a standard other codes must meet (see :func:`peergraph.crosswalk.compare.standard_setters`:
the page offers that view for whichever codes the graph says set one)."""

from __future__ import annotations

from peergraph.crosswalk.compare import code_iri, codes, compare, comparison_csv, similarity, standard_setters
from peergraph.errors import PeergraphError
from peergraph.namespaces import local_name


def routes(endpoint, templates) -> list:
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, PlainTextResponse, Response
    from starlette.routing import Route

    store = endpoint.store

    def render(params) -> Response:
        known = codes(store)
        names = {local_name(iri): label for iri, label in known.items()}
        setters = standard_setters(store)
        a_name, b_name, view = params.get("a", ""), params.get("b", ""), params.get("view", "")
        context = {"codes": names, "a": a_name, "b": b_name, "setters": [
            {**s, "id": local_name(s["code"]), "label": known[s["code"]]} for s in setters]}
        if not a_name or not b_name:
            return HTMLResponse(templates.get_template("compare.html.j2").render(**context))
        try:
            a, b = code_iri(store, a_name), code_iri(store, b_name)
        except PeergraphError as error:
            return PlainTextResponse(f"{error} Give ?a=CODE&b=CODE.\n", status_code=400)
        if a == b:
            return PlainTextResponse("a and b name the same code; choose two different codes.\n", status_code=400)
        if view == "similar":
            if b not in {s["code"] for s in setters}:
                return PlainTextResponse(f"{b_name} sets no standard for other codes in its text; the view "
                                         "view=similar is for a code that does.\n", status_code=400)
            result = similarity(store, a, b)
            return HTMLResponse(templates.get_template("similar.html.j2").render(
                **context, result=result, a_label=known[a], b_label=known[b]))
        rows = compare(store, a, b, endpoint.layout)
        if params.get("format") == "csv":
            return Response(comparison_csv(rows), media_type="text/csv; charset=utf-8", headers={
                "Content-Disposition": f'attachment; filename="compare-{a_name}-{b_name}.csv"'})
        return HTMLResponse(templates.get_template("compare.html.j2").render(
            **context, rows=rows, a_label=known[a], b_label=known[b]))

    async def page(request: Request) -> Response:
        return await run_in_threadpool(render, dict(request.query_params))

    return [Route("/compare", page, methods=["GET"])]
