"""The build, in order: the first stage of the flow.

Takes in the project's files (``ontology/``, ``data/``, ``shapes/``, ``queries/``: ``layout``
says where they are; ``sources`` reads the source texts), loads them into named graphs
(``corpus``, ``store``), adds the OWL 2 RL entailments (``reasoning``), checks the result
(``validation``: shapes, QC queries, provenance) and writes the release (``release``, ``docs``,
and ``context``, the scenario JSON-LD context generated from the ontology);
``build`` runs these steps in this order.

Gives out the checked knowledge graph as a store, and ``dist/``. Every later stage (questions,
scenarios, crosswalk, report, endpoint, publish) reads what this one gives; it reads none of them.
"""
