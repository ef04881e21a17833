"""Content negotiation: which media type answers a request, from its Accept header or its
`format` field, for results (SELECT, ASK) and for graphs (CONSTRUCT, DESCRIBE, resource pages)."""

from __future__ import annotations


RESULT_TYPES = {   # SELECT and ASK
    "application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}


GRAPH_TYPES = {    # CONSTRUCT, DESCRIBE, the service description and resource pages
    "text/turtle": "turtle", "application/ld+json": "jsonld", "application/n-triples": "nt",
    "application/rdf+xml": "rdfxml",
}


# Aliases a client may send in Accept or in the `format` parameter.
ALIASES = {"application/json": "application/sparql-results+json", "application/xml":
           "application/sparql-results+xml", "text/xml": "application/sparql-results+xml",
           "application/x-turtle": "text/turtle", "text/plain": "application/n-triples",
           **{short: media for media, short in {**RESULT_TYPES, **GRAPH_TYPES}.items()},
           "ttl": "text/turtle", "ntriples": "application/n-triples", "json-ld": "application/ld+json"}


# What the `format` names mean for a graph (CONSTRUCT, DESCRIBE, a resource): SPARQLWrapper sends
# `xml` and `rdf+xml` for RDF/XML and `n3` for a reader of N3, which reads Turtle.
GRAPH_ALIASES = {"xml": "application/rdf+xml", "rdf": "application/rdf+xml", "rdf+xml": "application/rdf+xml",
                 "application/xml": "application/rdf+xml", "text/xml": "application/rdf+xml",
                 "n3": "text/turtle", "text/n3": "text/turtle", "text/rdf+n3": "text/turtle",
                 "json": "application/ld+json", "application/json": "application/ld+json"}


FORMAT_FIELDS = ("format", "output", "results")   # the names clients use for it; SPARQLWrapper sends all three


def accepted(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first.

    >>> accepted("text/html, application/ld+json;q=0.9, */*;q=0.1")
    [('text/html', 1.0), ('application/ld+json', 0.9), ('*/*', 0.1)]
    """
    ranges = []
    for position, part in enumerate((header or "*/*").split(",")):
        media, *options = [piece.strip() for piece in part.split(";")]
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((ALIASES.get(media.lower(), media.lower()), quality, position))
    ranges.sort(key=lambda item: (-item[1], item[2]))
    return [(media, quality) for media, quality, _ in ranges]


def negotiate(header: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers (the first offered on a tie or a wildcard), or None."""
    best, best_quality = None, 0.0
    for media, quality in accepted(header):
        if quality <= best_quality:
            continue
        if media in offered:
            best, best_quality = media, quality
        elif media == "*/*" or (media.endswith("/*") and any(o.startswith(media[:-1]) for o in offered)):
            best = next(o for o in offered if media == "*/*" or o.startswith(media[:-1]))
            best_quality = quality
    return best


def named_format(names, offered: list[str], is_graph: bool) -> str | None:
    """The first of the `format` names (or media types) that is one of ``offered``, else None: the
    Accept header decides then, so that a name this server does not use never costs a 406."""
    for name in names:
        wanted = name.strip().lower()
        media = (GRAPH_ALIASES.get(wanted) if is_graph else None) or ALIASES.get(wanted, wanted)
        if media in offered:
            return media
    return None


def with_charset(media: str) -> str:
    return media if media.endswith("json") else f"{media}; charset=utf-8"


def format_iri(media: str) -> str:
    names = {"application/sparql-results+json": "SPARQL_Results_JSON", "application/sparql-results+xml":
             "SPARQL_Results_XML", "text/csv": "SPARQL_Results_CSV", "text/tab-separated-values":
             "SPARQL_Results_TSV", "text/turtle": "Turtle", "application/ld+json": "JSON-LD",
             "application/n-triples": "N-Triples", "application/rdf+xml": "RDF_XML"}
    return "http://www.w3.org/ns/formats/" + names[media]
