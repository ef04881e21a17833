"""A large batch is judged a part at a time (peergraph/scenarios/parts.py); scenarios that share a
node are never split apart. tests/test_check.py checks that the examples judged in parts get the
verdicts of one judgment."""

import pyoxigraph as ox

from peergraph.scenarios import parts

PG = "https://w3id.org/peergraph/ontology#"


def test_two_scenarios_that_share_a_person_stay_in_one_part():
    graph = ox.NamedNode("urn:peergraph:scenario:f")
    node = {name: ox.NamedNode(f"urn:x:{name}") for name in ("s1", "s2", "s3", "a1", "a2", "a3", "p", "q")}
    facts = [("s1", "act", "a1"), ("s2", "act", "a2"), ("s3", "act", "a3"),
             ("a1", "withPerson", "p"), ("a2", "withPerson", "p"), ("a3", "withPerson", "q")]
    quads = [ox.Quad(node[s], ox.NamedNode(PG + p), node[o], graph) for s, p, o in facts]
    quads += [ox.Quad(node[s], ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      ox.NamedNode(PG + "Scenario"), graph) for s in ("s1", "s2", "s3")]
    units = sorted(parts._connected(quads, known=lambda term: term.value.startswith(PG)), key=lambda unit: -unit[0])
    assert [scenarios for scenarios, _ in units] == [2, 1]
    assert {quad.subject for quad in units[0][1]} == {node[n] for n in ("s1", "s2", "a1", "a2")}
