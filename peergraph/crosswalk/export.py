"""The crosswalk of the built graph exported as an SSSOM mapping set (TSV) and as a CSV table."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from peergraph.crosswalk.curies import curie, curie_map
from peergraph.errors import PeergraphError
from peergraph.graph.store import select
from peergraph.namespaces import BASE, local_name
from peergraph.output import write_atomically
from peergraph.questions.results import csv_text


MAPPING_SET_ID = BASE + "crosswalk/crosswalk.sssom.tsv"


SSSOM_LICENSE = "https://creativecommons.org/licenses/by/4.0/"


# Computed alignments follow from the encoded numbers, lists and conditions by a rule:
# semapv:LogicalReasoning; asserted ones are a reader's: semapv:ManualMappingCuration.
JUSTIFICATIONS = {True: "semapv:LogicalReasoning", False: "semapv:ManualMappingCuration"}


SSSOM_COLUMNS = ["subject_id", "subject_label", "predicate_id", "predicate_modifier", "object_id", "object_label",
                 "mapping_justification", "subject_source", "object_source", "comment"]


# Between the words of two vague terms in one CSV cell, as the named question crosswalk-alignments writes them.
VAGUE_SEPARATOR = " | "


CSV_COLUMNS = ["alignment", "focal_code", "focal_provision", "focal_label", "relationship", "reference_code",
               "reference_provision", "reference_label", "concept", "concept_label", "computed", "rule",
               "rests_on_vague_terms", "rationale"]


ALIGNMENT_ROWS = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?alignment ?focal ?focalLabel ?focalCode ?reference ?referenceLabel ?referenceCode ?relationship
       ?relationshipName ?predicate ?modifier ?concept ?conceptLabel ?computed ?rule ?rationale
WHERE {
  ?alignment a pg:Alignment ; pg:focalProvision ?focal ; pg:referenceProvision ?reference ;
    pg:relationship ?relationship ; pg:alignedOn ?concept ; pg:computed ?computed ; pg:alignmentRationale ?rationale .
  ?focal rdfs:label ?focalLabel ; pg:inCode ?focalCode .
  ?reference rdfs:label ?referenceLabel ; pg:inCode ?referenceCode .
  ?relationship skos:notation ?relationshipName ; pg:sssomPredicate ?predicate .
  OPTIONAL { ?relationship pg:sssomPredicateModifier ?modifier }
  OPTIONAL { ?concept skos:prefLabel ?conceptLabel }
  OPTIONAL { ?alignment pg:computedBy ?rule }
}
ORDER BY ?alignment
"""


# The words of each vague term an alignment rests on, as the code's text gives them (pg:phrase).
VAGUE_PHRASES = """
PREFIX pg: <https://w3id.org/peergraph/ontology#>
SELECT ?alignment ?phrase WHERE { ?alignment a pg:Alignment ; pg:restsOnVagueTerm/pg:phrase ?phrase }
"""


def alignment_rows(store: ox.Store) -> list[dict]:
    """One dict per alignment of the built graph, with labels.

    ``vaguePhrases`` holds the words of the vague terms the alignment rests on, sorted, and is
    empty when it rests on none.
    """
    rows = select(store, ALIGNMENT_ROWS)
    if not rows:
        raise PeergraphError("the graph holds no crosswalk alignments; run `peergraph crosswalk update` "
                             "and check that data/crosswalk/ holds them")
    phrases = defaultdict(set)
    for row in select(store, VAGUE_PHRASES):
        phrases[row["alignment"]].add(str(row["phrase"]))
    return [{**row, "vaguePhrases": tuple(sorted(phrases[row["alignment"]]))} for row in rows]


def sssom_tsv(rows: list[dict], prefixes: dict[str, str]) -> str:
    """The crosswalk as an SSSOM mapping set (TSV with its YAML metadata block).

    NIST IR 8477 relationships become SSSOM predicates as the ontology's ``pg:sssomPredicate``
    says: equal → skos:exactMatch; subset of → skos:broadMatch; superset of → skos:narrowMatch;
    intersects with → skos:relatedMatch; no relationship → skos:relatedMatch with
    predicate_modifier ``Not``. The subject is the focal provision and ``A skos:broadMatch B``
    says that B, the object, is the broader one (SKOS Reference, W3C Recommendation 2009, §8.1
    and §10; SSSOM's predicate_id: "the object of the triple is a broader concept than the
    subject"): a focal provision that reaches fewer situations has a broader match. The NIST
    relationship itself, the rule or the reader behind it, the words of any vague term it rests
    on and the rationale are kept in ``comment``.
    """
    import yaml

    metadata = {
        "curie_map": prefixes,
        "mapping_set_id": MAPPING_SET_ID,
        "mapping_set_title": "peergraph crosswalk of codes of ethics for peer recovery specialists",
        "mapping_set_description": "Provision-to-provision alignments across codes, with NIST IR 8477 "
                                   "set-theory relationships; computed from the encoded graph where it decides.",
        "license": SSSOM_LICENSE,
    }
    lines = ["#" + line for line in yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True).splitlines()]
    lines.append("\t".join(SSSOM_COLUMNS))
    for row in rows:
        computed = row["computed"].toPython()
        how = f"computed by {local_name(row['rule'])}" if computed else "asserted by a reader"
        vague = f"; rests on vague terms {_quoted(row['vaguePhrases'])}" if row["vaguePhrases"] else ""
        comment = f"NIST IR 8477: {row['relationshipName']}; {how}{vague}. {row['rationale']}"
        values = [curie(row["focal"], prefixes), row["focalLabel"], curie(row["predicate"], prefixes),
                  row["modifier"] or "", curie(row["reference"], prefixes), row["referenceLabel"],
                  JUSTIFICATIONS[computed], curie(row["focalCode"], prefixes), curie(row["referenceCode"], prefixes),
                  comment]
        lines.append("\t".join(_tsv_cell(value) for value in values))
    return "\n".join(lines) + "\n"


def _quoted(phrases) -> str:
    return ", ".join(f'"{phrase}"' for phrase in phrases)


def _tsv_cell(value) -> str:
    return " ".join(str(value).split())  # tabs and line breaks would break the table


def crosswalk_csv(rows: list[dict], prefixes: dict[str, str]) -> str:
    records = [CSV_COLUMNS]
    for row in rows:
        records.append([
            row["alignment"], local_name(row["focalCode"]), curie(row["focal"], prefixes), row["focalLabel"],
            row["relationshipName"], local_name(row["referenceCode"]), curie(row["reference"], prefixes),
            row["referenceLabel"], curie(row["concept"], prefixes), row["conceptLabel"] or "", "true" if row["computed"].toPython() else "false",
            local_name(row["rule"]) if row["rule"] else "", VAGUE_SEPARATOR.join(row["vaguePhrases"]), row["rationale"]])
    return csv_text(records)


def export(store: ox.Store, out: Path) -> list[Path]:
    """Write ``crosswalk.sssom.tsv`` and ``crosswalk.csv`` into ``out``, each replaced atomically."""
    rows = alignment_rows(store)
    prefixes = curie_map(store)
    files = {"crosswalk.sssom.tsv": sssom_tsv(rows, prefixes), "crosswalk.csv": crosswalk_csv(rows, prefixes)}
    written = []
    for name, text in files.items():
        write_atomically(out / name, text, make_folder=True)
        written.append(out / name)
    return written
