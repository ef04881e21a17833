"""peergraph: a knowledge graph of the codes of ethics for peer recovery specialists.

It takes in the project's files (ontology, data, shapes, queries) and gives out the release,
answers, verdicts, alignments, a report and a served endpoint. The package is laid out as the
pipeline, data flowing one way:

- ``graph``: paths and loading, reasoning, validation, release (the build);
- then the consumers of the built graph: ``questions`` (named SPARQL questions), ``scenarios``
  (scenario checks), ``crosswalk`` (alignments across codes), ``report``, ``endpoint`` (serving),
  ``publish`` (to an external store);
- ``cli``: the command line, the only layer that knows argparse.

Shared by all: ``errors``, ``output`` (the one way to write outputs safely), ``namespaces`` (the
one prefix map and IRI-to-local-name helper), ``extras`` (optional parts). No module imports a
later stage than its own; ``tests/test_layout.py`` checks it.
"""

__version__ = "0.1.0"
