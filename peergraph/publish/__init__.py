"""Publishing: the built graph loaded into an external SPARQL 1.1 store (``peergraph publish``).

Takes in the built graph and a target store; each named graph is staged, read back and
compared, then moved into place in one update (``remote``), through an HTTP client of the
store (``store``) and a comparison of what came back with what was sent (``compare``). Gives
out the graphs in the store, and their triple counts. Reads the graph stage; read by the command line.
"""
