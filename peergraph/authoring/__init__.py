"""Authoring a new code: a draft encoding from a source text, and a lint of any code file.

Takes in a plain-text source (``splitting`` finds its sections and provisions with their
character offsets), the cue phrases and vague-term vocabulary of ``data/authoring/cues.ttl``
(``vocabulary``), the ontology and the codes already encoded (``concepts`` ranks the shared
concepts with BM25). ``kinds``, ``numbers`` and ``vague`` read each provision's statements,
thresholds and vague terms; ``draft`` writes the Turtle. Gives out a draft code file that follows
``data/codes/README.md`` with every machine-made fact marked as a ``pg:Suggestion`` with its
evidence, and (``lint``) the problems of a code file as ``file:line: message (term)``.

It sits beside the consumers of the graph stage: it reads the project's files through
``peergraph.graph`` (layout, sources) and is used by the command line (``peergraph scaffold``,
``peergraph lint``) and by ``scripts/benchmark_scaffold.py``.
"""
