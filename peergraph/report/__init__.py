"""The harmonization report: how the codes compare, for a reader.

Takes in the built graph and asks it the named questions; gives out a self-contained HTML page,
the coverage heatmap (PNG, SVG) and a policy-surveillance CSV (``harmonization``). Reads the
graph and questions stages; read by the endpoint (its page shows the heatmap) and the command line.
"""
