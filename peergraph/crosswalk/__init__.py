"""The crosswalk: provision-to-provision alignments across codes.

Takes in the built graph of the codes and the rule queries of ``queries/crosswalk/``: ``norms``
reads what the rules compare, ``intervals`` compares thresholds, ``alignments`` applies the rules,
and ``readings`` applies them again under each reading of a statement, marking contested alignments;
``rdf`` writes the computed alignments to ``data/crosswalk/computed.ttl`` (which the next build
loads); ``export`` gives out the alignments of a built graph as SSSOM TSV and CSV, named by the
CURIEs of ``curies``. Reads the graph stage; read by the command line.
"""
