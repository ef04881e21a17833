// The scenario explorer: a form made from the scenario vocabulary (GET /explore/vocabulary, embedded
// in the page), kept as the JSON scenario `peergraph check` reads, checked by POST /check as it changes.
"use strict";
const V = JSON.parse(document.getElementById("vocabulary").textContent);
const KINDS = Object.fromEntries(V.kinds.map(k => [k.kind, k]));
const $ = id => document.getElementById(id);
let actCount = 0, pending = null, timer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value; else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function options(select, list, blank) {
  select.append(el("option", {value: "", text: blank}));
  const groups = {};
  for (const o of list) {
    let parent = select;
    if (o.group) parent = groups[o.group] || (groups[o.group] = select.appendChild(el("optgroup", {label: o.group})));
    parent.append(el("option", {value: o.value, text: o.label}));
  }
}

// One control for one fact; `prefix` makes ids unique. A person gets its own facts below it.
function factControl(fact, prefix, depth) {
  const id = `${prefix}-${fact.fact}`;
  const wrap = el("div", {class: "fact", "data-fact": fact.fact, "data-input": fact.input});
  const label = el("label", {for: id, title: fact.definition},
                   fact.label + (fact.required ? " (required)" : ""));
  wrap.append(label);
  let control;
  if (fact.input === "number") {
    control = el("input", {id, type: "number", step: "any", min: "0", inputmode: "decimal"});
  } else if (fact.input === "boolean") {
    control = el("select", {id});
    options(control, [{value: "true", label: "yes"}, {value: "false", label: "no"}], "unknown");
  } else if (fact.input === "choice") {
    control = el("select", {id});
    options(control, fact.options, "not stated");
  } else {   // a person: one or more, each a new person of a class or a role the codes name
    Object.assign(wrap, {fact, depth});   // for the slots added when a file names several people
    wrap.append(el("p", {class: "hint", id: id + "-hint", text: fact.definition}), el("div", {class: "slots"}));
    addSlot(wrap, fact, id, depth);
    if (depth === 0) {
      const more = el("button", {type: "button", class: "secondary", text: `Add another: ${fact.label}`});
      more.addEventListener("click", () => addSlot(wrap, fact, id, depth).querySelector("select").focus());
      wrap.append(more);
    }
    return wrap;
  }
  wrap.append(control, el("p", {class: "hint", id: id + "-hint", text: fact.definition}));
  control.setAttribute("aria-describedby", id + "-hint");
  return wrap;
}

function addSlot(wrap, fact, id, depth) {
  const slots = wrap.querySelector(".slots"), n = slots.children.length;
  const slotId = n ? `${id}-${n + 1}` : id;
  const slot = el("div", {class: "slot"});
  if (n) slot.append(el("label", {for: slotId, text: `${fact.label} (${n + 1})`}));
  const control = el("select", {id: slotId, "aria-describedby": id + "-hint"});
  options(control, [
    ...fact.options.map(o => ({value: "new:" + o.value, label: "a person: " + o.label, group: "someone in the scenario"})),
    ...(fact.actors || []).map(o => ({value: o.value, label: o.label, group: "a role the codes name"}))], "not stated");
  const person = el("div", {class: "person"});
  control.addEventListener("change", () => personFacts(control, person, slotId, depth));
  slot.append(control, person);
  slots.append(slot);
  return slot;
}

function personFacts(select, holder, prefix, depth) {
  holder.replaceChildren();
  if (!select.value.startsWith("new:") || depth > 0) return;
  const classes = V.personClasses[select.value.slice(4)] || [];
  const facts = V.personFacts.filter(f => classes.includes(f.domain));
  if (!facts.length) return;
  const box = el("fieldset", {class: "person-facts"}, el("legend", {text: "About this person"}));
  for (const fact of facts) box.append(factControl(fact, prefix, depth + 1));
  holder.append(box);
}

function addAct() {
  const n = ++actCount, prefix = `act${n}`;
  const box = el("fieldset", {class: "act", "data-act": n});
  box.append(el("legend", {text: `Act ${n}`}));
  const kind = el("select", {id: `${prefix}-kind`, "data-role": "kind"});
  options(kind, V.kinds.map(k => ({value: k.kind, label: k.label})), "choose a kind of act");
  const body = el("div", {class: "act-body"});
  const remove = el("button", {type: "button", class: "secondary", text: `Remove act ${n}`});
  remove.addEventListener("click", () => { box.remove(); changed(); });
  box.append(el("label", {for: kind.id, text: "Kind of act"}), kind, body, remove);
  kind.addEventListener("change", () => { actBody(body, kind.value, prefix); });
  $("acts").append(box);
  return box;
}

function actBody(body, kindName, prefix) {
  body.replaceChildren();
  const kind = KINDS[kindName];
  if (!kind) return;
  body.append(el("p", {class: "hint", text: kind.definition}));
  const own = new Set(kind.facts.map(f => f.fact));
  for (const fact of kind.facts) body.append(factControl(fact, prefix, 0));
  if (kind.circumstances.length) {
    const box = el("fieldset", {class: "circumstances"}, el("legend", {text: "Circumstances the codes read for this act"}));
    for (const c of kind.circumstances) box.append(circumstance(c, prefix));
    body.append(box);
  }
  const more = V.actFacts.filter(f => !own.has(f.fact));
  const read = new Set(kind.circumstances.map(c => c.value));
  const others = V.circumstances.filter(c => !read.has(c.value));
  if (more.length || others.length) {
    const details = el("details", {}, el("summary", {text: "More facts and circumstances any act may state"}));
    for (const fact of more) details.append(factControl(fact, prefix, 0));
    for (const c of others) details.append(circumstance(c, prefix));
    body.append(details);
  }
}

// One circumstance as yes / no / unknown (unknown: stated neither way).
function circumstance(c, prefix) {
  const group = el("fieldset", {class: "circumstance", "data-circumstance": c.value});
  group.append(el("legend", {text: c.label}));
  for (const [value, text] of [["holds", "yes"], ["doesNotHold", "no"], ["", "unknown"]]) {
    const id = `${prefix}-${c.value}-${value || "unknown"}`;
    group.append(el("input", {type: "radio", id, name: `${prefix}-${c.value}`, value, checked: value === ""}),
                 el("label", {for: id, text}));
  }
  if (c.codes.length) group.append(el("span", {class: "hint", text: "read by " + c.codes.join(", ")}));
  return group;
}

// The form as the JSON scenario format (one scenario, in a list as the shipped examples are).
function toDocument() {
  const doc = {type: "Scenario", id: "#scenario", act: []};
  const title = $("scenario-title").value.trim();
  if (title) doc["dct:title"] = title;
  for (const box of document.querySelectorAll("#acts > fieldset.act")) {
    const kind = box.querySelector("[data-role=kind]").value;
    if (!kind) continue;
    const act = {type: kind};
    readFacts(box.querySelector(".act-body"), act, `#scenario-act${box.dataset.act}`);
    for (const group of box.querySelectorAll("fieldset.circumstance")) {
      const chosen = group.querySelector("input:checked");
      if (chosen && chosen.value) (act[chosen.value] = act[chosen.value] || []).push(group.dataset.circumstance);
    }
    doc.act.push(act);
  }
  return [doc];
}

function readFacts(holder, into, nodeId) {
  for (const wrap of holder.querySelectorAll(":scope > .fact, :scope > details > .fact, :scope > fieldset > .fact")) {
    const control = wrap.querySelector("input, select"), value = control.value, fact = wrap.dataset.fact;
    if (wrap.dataset.input === "person") {
      const values = [...wrap.querySelectorAll(":scope > .slots > .slot")].map((slot, i) => {
        const chosen = slot.querySelector("select").value;
        if (!chosen.startsWith("new:")) return chosen;
        const person = {id: `${nodeId}-${fact}${i ? "-" + (i + 1) : ""}`, type: chosen.slice(4)};
        const facts = slot.querySelector(".person-facts");
        if (facts) readFacts(facts, person, person.id);
        return person;
      }).filter(v => v !== "");
      if (values.length) into[fact] = values.length === 1 ? values[0] : values;
      continue;
    }
    if (value === "") continue;
    if (wrap.dataset.input === "number") into[fact] = Number(value);
    else if (wrap.dataset.input === "boolean") into[fact] = value === "true";
    else into[fact] = value;
  }
}

// A JSON scenario into the form (from a link, or an uploaded file read by the server).
function fromDocument(doc) {
  $("acts").replaceChildren();
  actCount = 0;
  $("scenario-title").value = doc["dct:title"] || "";
  for (const act of [].concat(doc.act || [])) {
    const box = addAct(), prefix = `act${box.dataset.act}`;
    const kind = box.querySelector("[data-role=kind]");
    kind.value = act.type || "";
    actBody(box.querySelector(".act-body"), kind.value, prefix);
    fillFacts(box.querySelector(".act-body"), act);
    for (const state of ["holds", "doesNotHold"])
      for (const name of [].concat(act[state] || [])) {
        const radio = document.getElementById(`${prefix}-${name}-${state}`);
        if (radio) radio.checked = true;
        if (radio && radio.closest("details")) radio.closest("details").open = true;
      }
  }
  if (!actCount) addAct();
}

function fillFacts(holder, node) {
  for (const wrap of holder.querySelectorAll(":scope > .fact, :scope > details > .fact, :scope > fieldset > .fact")) {
    const values = [].concat(node[wrap.dataset.fact] ?? []), value = values[0];
    if (value === undefined) continue;
    const control = wrap.querySelector("input, select");
    if (wrap.dataset.input === "person") {
      values.forEach((each, i) => {
        const slot = i === 0 ? wrap.querySelector(".slot") : addSlot(wrap, wrap.fact, control.id, wrap.depth);
        const select = slot.querySelector("select");
        select.value = typeof each === "object" ? "new:" + each.type : String(each);
        select.dispatchEvent(new Event("change"));
        const facts = slot.querySelector(".person-facts");
        if (facts && typeof each === "object") fillFacts(facts, each);
      });
    } else control.value = String(value);
    if (wrap.parentElement.tagName === "DETAILS") wrap.parentElement.open = true;
  }
}

function changed() {
  const docs = toDocument();
  const encoded = encodeURIComponent(JSON.stringify(docs[0]));
  history.replaceState(null, "", "#s=" + encoded);
  $("share-link").href = location.href;
  $("download-json").href = "data:application/json;charset=utf-8," + encodeURIComponent(JSON.stringify(docs, null, 2) + "\n");
  $("download-turtle").href = "data:text/turtle;charset=utf-8," + encodeURIComponent(turtle(docs));
  clearTimeout(timer);
  timer = setTimeout(() => check(docs), 120);
}

async function check(docs) {
  if (!docs[0].act.length) { $("verdict-list").replaceChildren(); $("problems").replaceChildren(); return; }
  if (pending) pending.abort();
  pending = new AbortController();
  const started = performance.now();
  $("check-status").textContent = "checking…";
  let reply, body;
  try {
    reply = await fetch("/check", {method: "POST", headers: {"Content-Type": "application/json"},
                                   body: JSON.stringify(docs), signal: pending.signal});
    body = await reply.json();
  } catch (error) {
    if (error.name !== "AbortError") $("check-status").textContent = "the check could not be run: " + error.message;
    return;
  }
  const took = Math.round(performance.now() - started);
  $("verdicts").dataset.took = took;
  if (!reply.ok) {
    $("check-status").textContent = "The scenario cannot be checked yet:";
    $("problems").replaceChildren(el("ul", {}, ...(body.problems || []).map(p => el("li", {text: p}))));
    $("verdict-list").replaceChildren();
    return;
  }
  $("problems").replaceChildren();
  $("check-status").textContent = `Checked in ${took} ms.`;
  showVerdicts(body.scenarios[0]);
  $("verdicts").dataset.checked = Number($("verdicts").dataset.checked || 0) + 1;   // verdicts drawn so far
}

async function upload(file) {
  const name = file.name.toLowerCase();
  const type = name.endsWith(".ttl") ? "text/turtle" : "application/json";
  const reply = await fetch("/explore/scenario?name=" + encodeURIComponent(file.name),
                            {method: "POST", headers: {"Content-Type": type}, body: await file.text()});
  const body = await reply.json();
  if (!reply.ok) {
    $("check-status").textContent = `${file.name} cannot be opened:`;
    $("problems").replaceChildren(el("ul", {}, ...body.problems.map(p => el("li", {text: p}))));
    return;
  }
  fromDocument(body[0]);
  $("check-status").textContent = body.length > 1 ? `${file.name} holds ${body.length} scenarios; the first is shown.` : "";
  changed();
}

document.addEventListener("DOMContentLoaded", () => {
  $("scenario-form").addEventListener("input", changed);
  $("scenario-form").addEventListener("change", event => { if (event.target.id !== "upload") changed(); });
  $("scenario-form").addEventListener("submit", event => event.preventDefault());
  $("add-act").addEventListener("click", () => { addAct().querySelector("select").focus(); });
  $("upload").addEventListener("change", event => { if (event.target.files[0]) upload(event.target.files[0]); });
  const shared = location.hash.startsWith("#s=") ? location.hash.slice(3) : null;
  if (shared) {
    try { fromDocument(JSON.parse(decodeURIComponent(shared))); changed(); return; }
    catch (error) { $("check-status").textContent = "The link's scenario could not be read: " + error.message; }
  }
  addAct();
});
