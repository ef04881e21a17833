// The explorer's output: a scenario as Turtle, and the verdicts of the codes as cards. Loaded with
// explore.js, whose helpers (V, $, el) it uses.
"use strict";

function turtle(docs) {
  const P = V.prefixes, lines = [`@prefix pg: <${P.pg}> .`, `@prefix pgc: <${P.pgc}> .`, `@prefix dct: <${P.dct}> .`, ""];
  const nodes = [];
  const term = value => {
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    if (typeof value === "object") { nodes.push(value); return `<${value.id}>`; }
    return value.startsWith("pgc:") ? value : "pg:" + value;
  };
  const facts = node => Object.entries(node).filter(([k]) => k !== "id" && k !== "type")
    .map(([k, v]) => `pg:${k} ${[].concat(v).map(term).join(" , ")}`);
  for (const doc of docs) {
    const head = [`a pg:Scenario`];
    if (doc["dct:title"]) head.push(`dct:title ${JSON.stringify(doc["dct:title"])}`);
    for (const act of doc.act) head.push(`pg:act [ ${[`a pg:${act.type}`, ...facts(act)].join(" ;\n        ")} ]`);
    lines.push(`<${doc.id}> ${head.join(" ;\n    ")} .`);
  }
  while (nodes.length) {
    const node = nodes.shift();
    lines.push(`<${node.id}> ${[`a pg:${node.type}`, ...facts(node)].join(" ; ")} .`);
  }
  return lines.join("\n") + "\n";
}

function provisionLink(iri, label) {
  const base = "https://w3id.org/peergraph/";
  return el("a", {href: iri.startsWith(base) ? "/" + iri.slice(base.length) : iri, text: label});
}

function showVerdicts(scenario) {
  const list = el("div", {class: "verdicts"});
  for (const v of scenario.verdicts) {
    const card = el("article", {class: "verdict", "data-code": v.code, "data-verdict": v.verdict});
    const code = V.codes.find(c => c.value.endsWith("/" + v.code));
    card.append(el("h3", {}, el("span", {class: "code", text: code ? code.label : v.code}), " ",
                   el("span", {class: "badge " + v.verdict.replace(" ", "-"), text: v.verdict})));
    for (const f of v.findings) {
      const item = el("div", {class: "finding"});
      item.append(el("p", {}, el("strong", {text: f.verdict + ": "}), provisionLink(f.provision, f.label),
                     ` (${f.act.kind})`));
      item.append(el("p", {class: "why", text: f.message}));
      item.append(el("blockquote", {class: "verbatim", text: `“${f.text}”`}));
      if (Array.isArray(f.readings) && f.readings.length) item.append(readings(f.readings));
      card.append(item);
    }
    if (Array.isArray(v.readings) && v.readings.length) card.append(readings(v.readings));
    if (v.verdict === "complies" && v.checked_against.length) {
      const p = el("p", {class: "muted"}, "Checked against ");
      v.checked_against.forEach((c, i) => { if (i) p.append("; "); p.append(provisionLink(c.provision, c.label)); });
      card.append(p);
    }
    if (v.verdict === "not addressed") card.append(el("p", {class: "muted", text: "No provision of this code that a shape checks applies to these acts."}));
    list.append(card);
  }
  $("verdict-list").replaceChildren(list);
}

// Competing readings of a vague term, where the check gives them: each with what it makes of the act.
function readings(list) {
  const box = el("details", {class: "readings", open: true}, el("summary", {text: "Readings differ"}));
  const ul = el("ul");
  for (const r of list) {
    const parts = typeof r === "object" ? Object.entries(r).filter(([, v]) => typeof v !== "object")
      .map(([k, v]) => `${k}: ${v}`).join(" · ") : String(r);
    ul.append(el("li", {text: parts}));
  }
  box.append(ul);
  return box;
}
