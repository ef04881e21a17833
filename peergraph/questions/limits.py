"""What the command line offers before any question runs: the result formats and the answer
size limit. Kept apart from the modules that run questions, which are slow to import."""

FORMATS = ("table", "csv", "tsv", "json", "srj")
MAX_ANSWER_BYTES = 64 * 1024**2  # the largest answer taken from a remote endpoint
