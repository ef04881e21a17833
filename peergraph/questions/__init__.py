"""The named questions: the second stage, the first consumer of the built graph.

Takes in the SPARQL files of ``queries/`` (each with a header: title, description, parameters)
and a built graph, embedded or at a remote endpoint. ``library`` reads the headers; ``queries``
binds the parameters and runs the questions on the embedded graph, ``remote`` at an endpoint;
``sparql_guard`` checks a query before it runs (what the endpoint serves goes through it too),
on the tokens ``sparql_tokens`` reads, refusing with the reasons of ``refusals``; ``results``
gives out the answers as tables, CSV, TSV or JSON. Reads the graph stage; read by the report, the endpoint and the command line.
"""
