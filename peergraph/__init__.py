"""peergraph: a knowledge graph of the codes of ethics for peer recovery specialists."""

__version__ = "0.1.0"
