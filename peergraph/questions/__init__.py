"""The named questions: the second stage, the first consumer of the built graph.

Takes in the SPARQL files of ``queries/`` (each with a header: title, description, parameters)
and a built graph, embedded or at a remote endpoint. ``queries`` reads the headers, binds the
parameters and runs the questions; ``sparql_guard`` checks a query before it runs (what the
endpoint serves goes through it too); ``results`` gives out the answers as tables, CSV, TSV or
JSON. Reads the graph stage; read by the report, the endpoint and the command line.
"""
