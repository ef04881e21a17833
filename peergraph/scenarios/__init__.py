"""Scenario checks: which provisions of which code a described situation breaks.

Takes in scenario files (Turtle or JSON, ``reading``; each file a graph of its own,
``file_graph``), checks their input (``input_problems``, with ``shapes/scenario-input.ttl``),
runs the verdict shapes of ``shapes/`` over them (``shapes``) and gives out one verdict per
scenario and code (``verdicts``), weighing the readings of a statement whose words allow more
than one (``interpretations``, with ``shapes/scenario-readings.ttl``), and which duties no
shape checks yet (``coverage``). Reads the graph and questions stages; read by the command line.
"""
