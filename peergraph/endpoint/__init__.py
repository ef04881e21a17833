"""The endpoint: the built graph served read-only over HTTP (``peergraph serve``).

Takes in a built graph and settings; gives out the SPARQL 1.1 Protocol at ``/sparql``, a web
page, and a page or RDF for every IRI. ``service`` holds the graph and what routes ask of it,
``app`` the routes, ``negotiation`` the choice of media type, ``cache`` the answers kept,
``pages`` the HTML, ``explore`` the scenario explorer and ``POST /check``, ``documents`` and
``code_pages`` the pages that read as documents, ``compare`` the code-to-code comparison,
``server`` the lifecycle (bind, run, clean up); every query is checked by
``questions.sparql_guard`` (long ones in a process of their own, ``long_checks``) and run by a
worker process of ``pool`` under time and row limits (``processes`` starts and stops a worker,
``worker`` is its life inside; ``http_limits`` bounds each connection).
Reads the graph, questions, scenarios, crosswalk and report stages; read by the command line.

This package imports nothing here: a query worker imports ``endpoint.pool`` and the two modules
it stands on, which need the standard library alone.
"""
