// The query editor: named questions in a select, results as a table, downloads as links.
"use strict";

const BASE = "https://w3id.org/peergraph/";
const GRAPH_FORMS = /^\s*(?:(?:PREFIX|BASE)\b[^{]*?)?(CONSTRUCT|DESCRIBE)\b/i;
const $ = (id) => document.getElementById(id);

function localLink(iri) {
  // The project's IRIs are pages of this server; any other IRI is shown through /resource.
  if (iri.startsWith(BASE) && !iri.includes("#") && !iri.startsWith(BASE + "graph/")) {
    return "/" + iri.slice(BASE.length);
  }
  return "/resource?iri=" + encodeURIComponent(iri);
}

function cell(term) {
  const td = document.createElement("td");
  if (!term) return td;
  if (term.type === "uri") {
    const a = document.createElement("a");
    a.href = localLink(term.value);
    a.textContent = term.value;
    td.appendChild(a);
    td.className = "iri";
  } else {
    td.textContent = term.value;
    if (term.datatype && /#(integer|decimal|double)$/.test(term.datatype)) td.className = "num";
    else if (term.value.length > 60) td.className = "long";   // verbatim text: kept readable, not squeezed
  }
  return td;
}

function showTable(answer) {
  const table = document.createElement("table");
  table.id = "result-table";
  const head = table.createTHead().insertRow();
  for (const name of answer.head.vars) {
    const th = document.createElement("th");
    th.textContent = name;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const binding of answer.results.bindings) {
    const row = body.insertRow();
    for (const name of answer.head.vars) row.appendChild(cell(binding[name]));
  }
  return table;
}

function setDownloads(query, isGraph) {
  for (const link of $("downloads").querySelectorAll("a")) {
    const format = link.dataset.format;
    const graphFormat = format === "turtle" || format === "jsonld";
    link.hidden = graphFormat !== isGraph;
    link.href = "/sparql?" + new URLSearchParams({ query, format });
  }
  $("downloads").hidden = false;
}

async function run() {
  const query = $("query-text").value;
  const isGraph = GRAPH_FORMS.test(query.replace(/#[^\n]*/g, ""));
  const status = $("status");
  $("run").disabled = true;
  status.className = "";
  status.textContent = "running…";
  $("results").replaceChildren();
  $("downloads").hidden = true;
  const started = performance.now();
  try {
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded",
                 "Accept": isGraph ? "text/turtle" : "application/sparql-results+json" },
      body: new URLSearchParams({ query }),
    });
    const text = await response.text();
    const ms = Math.round(performance.now() - started);
    if (!response.ok) {
      status.className = "error";
      status.textContent = `Error ${response.status}: ${text.trim()}`;
      return;
    }
    if (isGraph) {
      const pre = document.createElement("pre");
      pre.className = "graph";
      pre.textContent = text;
      $("results").appendChild(pre);
      status.textContent = `graph in ${ms} ms`;
    } else {
      const answer = JSON.parse(text);
      if ("boolean" in answer) {
        status.textContent = `answer: ${answer.boolean} (${ms} ms)`;
      } else {
        const rows = answer.results.bindings.length;
        $("results").appendChild(showTable(answer));
        status.textContent = `${rows} row${rows === 1 ? "" : "s"} in ${ms} ms`;
      }
    }
    setDownloads(query, isGraph);
  } catch (error) {
    status.className = "error";
    status.textContent = `The server could not be reached: ${error}`;
  } finally {
    $("run").disabled = false;
  }
}

async function loadNamedQueries() {
  const select = $("named-query");
  const response = await fetch("/api/queries");
  const queries = await response.json();
  select.replaceChildren(new Option("(write your own)", ""));
  for (const query of queries) select.appendChild(new Option(`${query.name} — ${query.title}`, query.name));
  const byName = new Map(queries.map((query) => [query.name, query]));
  select.addEventListener("change", () => {
    const query = byName.get(select.value);
    $("query-description").textContent = query ? query.description : "";
    if (query) $("query-text").value = query.text;
  });
  const wanted = new URLSearchParams(location.hash.slice(1)).get("query");
  if (wanted && byName.has(wanted)) {
    select.value = wanted;
    select.dispatchEvent(new Event("change"));
  }
  select.dataset.loaded = String(queries.length);
}

document.addEventListener("DOMContentLoaded", () => {
  $("endpoint-url").textContent = new URL("/sparql", location.href).href;
  $("run").addEventListener("click", run);
  $("query-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run();
  });
  loadNamedQueries().catch((error) => {
    $("status").className = "error";
    $("status").textContent = `The named questions could not be loaded: ${error}`;
  });
});
