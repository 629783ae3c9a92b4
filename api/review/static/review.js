// The review page: the article list at /review/ and one article at /review/articles/{id}.
// Plain DOM, no framework. Everything from the API is written with textContent, never as HTML.
// Claim spans are offsets in Unicode code points (the contract's), while JS strings count
// UTF-16 units: the body is split with Array.from, and a DOM selection is measured the same way.
"use strict";

const KEY_STORAGE = "claimtrack.apiKey";
const LIVE_INTERVAL_MS = 2000;

const STATUS = {
  unverified: { label: "Unverified", icon: "○" },
  in_review: { label: "In review", icon: "◐" },
  verified: { label: "Verified", icon: "✓" },
  misleading: { label: "Misleading", icon: "!" },
  disputed: { label: "Disputed", icon: "⇄" },
  false: { label: "False", icon: "✗" },
  unverifiable: { label: "Unverifiable", icon: "?" },
};

// What a problem type means for someone at the desk; the server's detail follows it.
const PROBLEM_LEAD = {
  "evidence-required": "This status needs evidence.",
  "invalid-transition": "This change of status is not allowed.",
  "precondition-failed": "Someone else changed this claim meanwhile.",
  "quote-not-found": "The selected words are not in the article's text.",
  "quote-ambiguous": "The selected words occur more than once.",
  "span-mismatch": "The selection no longer matches the article's text; reload the page and select again.",
  "invalid-request": "Some of the input is not valid.",
  "unauthorized": "The API key was not accepted.",
  "forbidden": "This API key may not do that.",
  "not-found": "Not found: it may have been deleted.",
  "conflict": "This already exists.",
  "payload-too-large": "That is too much text to send at once.",
  "too-many-requests": "Too many requests with this key; wait a moment and try again.",
  "service-unavailable": "The API is not available right now; try again shortly.",
};

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function codePoints(text) {
  return Array.from(text).length;
}

function formatTime(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, {
    dateStyle: "medium", timeStyle: "short",
  });
}

function languageName(code) {
  if (!code) return "";
  try {
    const name = new Intl.DisplayNames([navigator.language || "en"], { type: "language" }).of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch (err) {
    return code;
  }
}

function statusLabel(status) {
  return (STATUS[status] || { label: status }).label;
}

function chip(status) {
  return el("span", { className: `chip st-${status}`, text: statusLabel(status) });
}

// ---------------------------------------------------------------- messages

function say(text, kind) {
  const box = $("messages");
  box.className = `messages ${kind || ""}`;
  box.textContent = text;
}

function tell(box, text, kind) {
  box.className = `form-message ${kind || ""}`;
  box.textContent = text;
}

function fieldName(pointer) {
  const parts = String(pointer || "").split("/").filter(Boolean);
  if (parts[0] === "sources" && parts.length > 1) {
    return `source ${Number(parts[1]) + 1}${parts.length > 2 ? " " + parts[parts.length - 1] : ""}`;
  }
  return parts.join(" ") || "request";
}

function describeProblem(error) {
  if (!(error instanceof ApiError)) return `Something went wrong: ${error.message || error}`;
  const problem = error.problem || {};
  const name = String(problem.type || "").replace(/^\/problems\//, "");
  const lead = PROBLEM_LEAD[name] || problem.title || `The request failed (HTTP ${error.status}).`;
  let text = lead;
  if (problem.detail && problem.detail !== lead) {
    text += ` ${problem.detail.charAt(0).toUpperCase()}${problem.detail.slice(1)}`;
    if (!/[.!?]$/.test(text)) text += ".";
  }
  const fields = (problem.errors || []).map((e) => `${fieldName(e.field)}: ${e.message}`);
  if (fields.length) text += ` (${fields.join("; ")})`;
  return text;
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

async function api(method, path, options = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${apiKey()}` };
  const init = { method, headers, cache: "no-store" };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  if (options.version !== undefined) headers["If-Match"] = `"${options.version}"`;
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { type: "/problems/service-unavailable", title: "The API cannot be reached" });
  }
  const raw = await response.text();
  let data = null;
  if (raw) {
    try { data = JSON.parse(raw); } catch (err) { data = { title: raw.slice(0, 200) }; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401) askForKey(describeProblem(error));
    throw error;
  }
  return data;
}

// ---------------------------------------------------------------- the key

function askForKey(reason) {
  sessionStorage.removeItem(KEY_STORAGE);
  stopLive();
  for (const id of ["list-view", "article-view", "queue-view"]) $(id).hidden = true;
  $("forget-key").hidden = true;
  $("key-view").hidden = false;
  if (reason) say(reason, "error");
  $("key-input").focus();
}

function setUpKey() {
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("key-input").value.trim();
    if (!value) return;
    sessionStorage.setItem(KEY_STORAGE, value);
    $("key-input").value = "";
    $("key-view").hidden = true;
    say("");
    route();
  });
  $("forget-key").addEventListener("click", () => askForKey("The key is forgotten in this tab."));
}

// ---------------------------------------------------------------- the article list

let articleCursor = null;

async function showList() {
  $("list-view").hidden = false;
  $("article-list").replaceChildren();
  articleCursor = null;
  await loadArticles();
  $("more-articles").onclick = () => loadArticles().catch((err) => say(describeProblem(err), "error"));
}

async function loadArticles() {
  const query = new URLSearchParams({ limit: "50" });
  if (articleCursor) query.set("cursor", articleCursor);
  const page = await api("GET", `/v1/articles?${query}`);
  const list = $("article-list");
  for (const article of page.items) {
    const item = el("li", { dataset: { article: article.id } },
      el("a", { href: `/review/articles/${encodeURIComponent(article.id)}`, dir: "auto",
        lang: article.language, text: article.title }),
      el("div", { className: "small", text: articleListMeta(article) }));
    list.append(item);
    showArticleCounts(item, article);
  }
  if (!list.children.length) list.append(el("li", { text: "No articles yet: `claimtrack demo` loads one." }));
  articleCursor = page.next_cursor;
  $("more-articles").hidden = !articleCursor;
}

// ---------------------------------------------------------------- one article

const view = {
  article: null,
  body: [], // the body as code points
  claims: [], // in the API's order: text order, orphaned last
  selected: null, // claim id
  selection: null, // {start, end, quote} of a text selection to make a claim from
  detailNode: null, // the selected claim's detail, shown under its list item
  detailHome: null, // where the detail waits while no claim is selected
  candidates: null, // the uncovered candidates while that layer is on, else null
};

function claimById(id) {
  return view.claims.find((c) => c.id === id) || null;
}

function claimNumber(id) {
  return view.claims.findIndex((c) => c.id === id) + 1;
}

async function showArticle(articleId) {
  $("article-view").hidden = false;
  const [article, page] = await Promise.all([
    api("GET", `/v1/articles/${encodeURIComponent(articleId)}`),
    api("GET", `/v1/articles/${encodeURIComponent(articleId)}/claims`),
  ]);
  setArticle(article);
  view.claims = page.items;
  renderClaims();
  startLive(articleId);
  await afterArticleShown();
}

function setArticle(article) {
  view.article = article;
  view.body = Array.from(article.body);
  document.title = `${article.title} · Review`;
  const title = $("article-title");
  title.textContent = article.title;
  title.lang = article.language;
  const meta = $("article-meta");
  meta.replaceChildren(...[article.outlet, languageName(article.language), formatDate(article.published_at)]
    .filter(Boolean).map((part, i) => (i ? ` · ${part}` : part)));
  if (article.url) {
    meta.append(" · ", el("a", { href: article.url, rel: "noopener noreferrer", text: "original" }));
  }
  $("article-text").lang = article.language;
  revisionsChanged();
}

// Everything that shows claims, drawn again from view.claims; focus and selection survive.
function renderClaims() {
  const active = document.activeElement;
  const focusStart = active && active.closest && active.closest("#article-text mark")
    ? active.dataset.start : null;
  const focusClaim = active && active.classList && active.classList.contains("claim-item")
    ? active.dataset.claim : null;
  if (view.selected && !claimById(view.selected)) view.selected = null;

  renderText();
  renderList();
  renderDetail();

  if (focusStart !== null) {
    const again = $("article-text").querySelector(`mark[data-start="${focusStart}"]`);
    if (again) again.focus({ preventScroll: true });
  }
  if (focusClaim) {
    const again = $("claim-list").querySelector(`.claim-item[data-claim="${focusClaim}"]`);
    if (again) again.focus({ preventScroll: true });
  }
}

// The text split at every span boundary: a segment covered by several claims nests one layer
// per claim (outermost the one that starts first and ends last), each layer with its own tint
// and underline, so overlaps show every claim involved.
function renderText() {
  const body = view.body;
  const anchored = view.claims
    .filter((c) => c.span && c.anchor_status !== "orphaned")
    .map((c) => ({ claim: c, start: Math.max(0, Math.min(c.span.start, body.length)),
      end: Math.max(0, Math.min(c.span.end, body.length)) }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const bounds = new Set([0, body.length]);
  for (const s of anchored) { bounds.add(s.start); bounds.add(s.end); }
  for (const c of view.candidates || []) {
    bounds.add(Math.min(c.span.start, body.length));
    bounds.add(Math.min(c.span.end, body.length));
  }
  const points = [...bounds].sort((a, b) => a - b);

  const fragment = document.createDocumentFragment();
  for (let i = 0; i + 1 < points.length; i += 1) {
    const start = points[i];
    const end = points[i + 1];
    const text = body.slice(start, end).join("");
    const covering = anchored.filter((s) => s.start <= start && s.end >= end);
    if (!covering.length) {
      const candidate = candidateAt(start, end);
      fragment.append(candidate === null
        ? el("span", { dataset: { start, end } }, text)
        : el("span", { className: "candidate", title: "Worth checking: click to make it a claim",
          dataset: { start, end, candidate } }, text));
      continue;
    }
    const mark = el("mark", { dataset: { start, end, claims: covering.map((s) => s.claim.id).join(" ") } });
    let holder = mark;
    covering.forEach((s, depth) => {
      const layer = depth === 0 ? mark : el("span");
      layer.classList.add("layer", `st-${s.claim.status}`);
      if (s.claim.anchor_status === "reworded") layer.classList.add("is-reworded");
      layer.dataset.claim = s.claim.id;
      if (s.claim.id === view.selected) layer.classList.add("is-selected");
      if (depth > 0) holder.append(layer);
      holder = layer;
    });
    holder.append(text);
    const beginning = covering.filter((s) => s.start === start);
    if (beginning.length) {
      mark.dataset.marks = beginning
        .map((s) => `${claimNumber(s.claim.id)}${STATUS[s.claim.status].icon}`).join(" ");
      mark.tabIndex = 0;
    } else {
      mark.tabIndex = -1;
    }
    mark.setAttribute("role", "button");
    mark.title = covering
      .map((s) => `Claim ${claimNumber(s.claim.id)}: ${statusLabel(s.claim.status)}`).join("; ");
    fragment.append(mark);
  }
  $("article-text").replaceChildren(fragment);
}

function claimButton(claim, number) {
  const facts = [
    claim.rating ? `Rating: ${claim.rating.text}` : null,
    claim.claimant ? `Claimant: ${claim.claimant}` : null,
    `${claim.sources.length} source${claim.sources.length === 1 ? "" : "s"}`,
  ].filter(Boolean).join(" · ");
  return el("button", {
    type: "button",
    className: `claim-item st-${claim.status}`,
    dataset: { claim: claim.id, status: claim.status },
    "aria-current": claim.id === view.selected ? "true" : null,
    "aria-expanded": claim.id === view.selected ? "true" : "false",
  },
  el("span", { className: "num", text: `${number}` }), chip(claim.status),
  claim.anchor_status === "orphaned" ? el("span", { className: "orphan", text: " not found in the text" }) : null,
  claim.anchor_status === "reworded" ? el("span", { className: "orphan reworded", text: " words changed" }) : null,
  el("span", { className: "claim-text", dir: "auto", lang: claim.language, text: claim.text }),
  el("span", { className: "quote", dir: "auto", lang: view.article.language, text: `“${claim.quote}”` }),
  el("span", { className: "small", text: facts }));
}

// List items are kept and updated in place, and the detail (with the verification form) moves
// only when another claim is selected: a redraw for a change elsewhere leaves typing alone.
function renderList() {
  const list = $("claim-list");
  const detail = view.detailNode;
  const existing = new Map([...list.children].map((li) => [li.dataset.claim, li]));
  view.claims.forEach((claim, i) => {
    const li = existing.get(claim.id) || el("li", { dataset: { claim: claim.id } });
    existing.delete(claim.id);
    const button = claimButton(claim, i + 1);
    const old = li.querySelector(":scope > .claim-item");
    if (old) old.replaceWith(button);
    else li.prepend(button);
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
  });
  for (const li of existing.values()) {
    if (li.contains(detail)) view.detailHome.append(detail);
    li.remove();
  }
  const host = view.selected ? list.querySelector(`li[data-claim="${view.selected}"]`) : null;
  if (host && detail.parentElement !== host) host.append(detail);
  else if (!host && detail.parentElement !== view.detailHome) view.detailHome.append(detail);
  $("claim-count").textContent = `(${view.claims.length})`;
}

function renderDetail() {
  const claim = claimById(view.selected);
  const detail = $("claim-detail");
  if (!claim) { detail.hidden = true; return; }
  detail.hidden = false;
  detail.dataset.claim = claim.id;
  detail.dataset.status = claim.status;
  $("detail-title").textContent = `Claim ${claimNumber(claim.id)}`;
  const rows = [
    ["Status", chip(claim.status)],
    ["Rating", claim.rating ? `${claim.rating.text}${claim.rating.value ? ` (${claim.rating.value}/${claim.rating.best})` : ""}` : "—"],
    ["Claimant", claim.claimant ? el("span", { dir: "auto", text: claim.claimant }) : "—"],
    ["Date", claim.claim_date || "—"],
    ["Tags", claim.tags.length ? claim.tags.join(", ") : "—"],
    ["Changed", `${formatTime(claim.updated_at)}${claim.updated_by ? ` by ${claim.updated_by}` : ""} (version ${claim.version})`],
  ];
  if (claim.review_url) {
    rows.push(["Fact-check", el("a", { href: claim.review_url, rel: "noopener noreferrer", text: claim.review_url })]);
  }
  const list = el("dl");
  for (const [term, value] of rows) list.append(el("dt", { text: term }), el("dd", {}, value));
  $("detail-info").replaceChildren(list);

  const sources = $("detail-sources");
  sources.replaceChildren(...claim.sources.map((link) => el("li", { dataset: { source: link.source.id } },
    el("span", { className: `relation ${link.relation}`, text: link.relation }),
    el("a", { href: link.source.url, rel: "noopener noreferrer", dir: "auto",
      text: link.source.title || link.source.url }),
    link.source.publisher ? el("span", { className: "small", text: ` — ${link.source.publisher}` }) : null,
    link.excerpt ? el("span", { className: "excerpt", dir: "auto", text: `“${link.excerpt}”` }) : null,
    unlinkButton(claim, link))));
  if (!claim.sources.length) sources.append(el("li", { className: "small", text: "No sources yet." }));
  renderClaimActions(claim);
}

// The history is fetched when a claim is selected and whenever its version changes.
let historyFor = null;

async function renderHistory(force) {
  const claim = claimById(view.selected);
  if (!claim) return;
  const token = `${claim.id}@${claim.version}`;
  if (!force && historyFor === token) return;
  historyFor = token;
  const box = $("detail-history");
  let page;
  try {
    page = await api("GET", `/v1/claims/${claim.id}/verifications?limit=500`);
  } catch (err) {
    box.replaceChildren(el("li", { className: "small", text: describeProblem(err) }));
    return;
  }
  if (historyFor !== token) return; // another claim was selected meanwhile
  const titles = new Map(claim.sources.map((l) => [l.source.id, l.source.title || l.source.url]));
  historyArrived(claim, page.items);
  box.replaceChildren(...page.items.map((entry) => entry.kind === "reworded" ? rewordedEntry(entry) : el("li", {},
    el("span", { className: "small", text: `${formatTime(entry.created_at)} · ${entry.actor || "no key"} · ` }),
    `${statusLabel(entry.previous_status)} → `, chip(entry.status),
    entry.note ? el("span", { className: "excerpt", dir: "auto", text: entry.note }) : null,
    entry.evidence.length ? el("span", { className: "small", text: ` Evidence: ${entry.evidence
      .map((e) => `${e.relation} ${titles.get(e.source_id) || e.source_id}`).join("; ")}` }) : null)));
  if (!page.items.length) box.append(el("li", { className: "small", text: "No verification updates yet." }));
}

function selectClaim(id, options = {}) {
  const changed = view.selected !== id;
  view.selected = id;
  if (changed) resetVerifyForm();
  for (const layer of $("article-text").querySelectorAll(".layer")) {
    layer.classList.toggle("is-selected", layer.dataset.claim === id);
  }
  renderList();
  renderDetail();
  renderHistory(false);
  if (options.fromText) {
    const item = $("claim-list").querySelector(`li[data-claim="${id}"]`);
    if (item) item.scrollIntoView({ block: "start" });
  } else {
    const layer = $("article-text").querySelector(`.layer[data-claim="${id}"]`);
    if (layer) layer.scrollIntoView({ block: "center" });
  }
}

// A click (or Enter) on text covered by several claims selects the innermost first, then the
// next one on each further click.
function selectFromMark(mark) {
  const ids = mark.dataset.claims.split(" ");
  const at = ids.indexOf(view.selected);
  const next = at === -1 ? ids[ids.length - 1] : ids[(at + ids.length - 1) % ids.length];
  selectClaim(next, { fromText: true });
}

// ---------------------------------------------------------------- selecting text for a new claim

// A DOM point inside the article text as a code point offset into the body: the text before it
// is exactly the body's (marks add their numbers as CSS content, which is no DOM text).
function offsetOf(container, node, offset) {
  const range = document.createRange();
  range.setStart(container, 0);
  range.setEnd(node, offset);
  return codePoints(range.toString());
}

function readSelection() {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
  const range = selection.getRangeAt(0);
  const container = $("article-text");
  if (!container.contains(range.startContainer) || !container.contains(range.endContainer)) return null;
  let start = offsetOf(container, range.startContainer, range.startOffset);
  let end = offsetOf(container, range.endContainer, range.endOffset);
  const body = view.body;
  while (start < end && /\s/u.test(body[start])) start += 1;
  while (end > start && /\s/u.test(body[end - 1])) end -= 1;
  if (end <= start) return null;
  return { start, end, quote: body.slice(start, end).join("") };
}

function offerNewClaim() {
  if (placeFromSelection()) return;
  const picked = readSelection();
  if (!picked) return;
  view.selection = picked;
  $("new-claim").hidden = false;
  $("new-claim-quote").textContent = `“${picked.quote}”`;
  $("new-claim-quote").lang = view.article.language;
  $("new-claim-span").textContent = `Characters ${picked.start}–${picked.end}`;
  const text = $("new-claim-text");
  if (!text.value || text.dataset.auto === "1") {
    text.value = picked.quote;
    text.dataset.auto = "1";
  }
  tell($("new-claim-message"), "");
}

function closeNewClaim() {
  view.selection = null;
  $("new-claim").hidden = true;
  $("new-claim-form").reset();
  $("new-claim-text").dataset.auto = "1";
}

async function submitNewClaim(event) {
  event.preventDefault();
  const picked = view.selection;
  if (!picked) return;
  const button = event.submitter || $("new-claim-form").querySelector("button[type=submit]");
  const body = {
    text: $("new-claim-text").value.trim(),
    quote: picked.quote,
    span: { start: picked.start, end: picked.end },
  };
  const claimant = $("new-claim-claimant").value.trim();
  if (claimant) body.claimant = claimant;
  button.disabled = true;
  try {
    const claim = await api("POST", `/v1/articles/${view.article.id}/claims`, { body });
    closeNewClaim();
    await reloadClaims();
    if (view.candidates) await loadCandidates();
    selectClaim(claim.id);
    say(`Claim ${claimNumber(claim.id)} added.`, "ok");
  } catch (err) {
    tell($("new-claim-message"), describeProblem(err), "error");
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- candidates

// The layer of sentences worth checking (GET /v1/articles/{id}/candidates?uncovered=true):
// dotted in the text and listed in the panel; "Make claim" fills the new-claim form with the
// candidate's quote and span, and "Add claim" stores it.
function candidateAt(start, end) {
  const index = (view.candidates || []).findIndex((c) => c.span.start <= start && c.span.end >= end);
  return index === -1 ? null : index;
}

async function loadCandidates() {
  const page = await api("GET", `/v1/articles/${view.article.id}/candidates?uncovered=true`);
  if (!$("show-candidates").checked) return;
  view.candidates = page.items;
  renderCandidates();
  renderText();
}

function renderCandidates() {
  const list = $("candidate-list");
  const items = view.candidates || [];
  $("candidate-panel").hidden = view.candidates === null;
  $("candidate-count").textContent = `(${items.length})`;
  list.replaceChildren(...items.map((c, index) => el("li", { className: "candidate-item" },
    el("p", { className: "quote", dir: "auto", lang: view.article.language, text: `“${c.quote}”` }),
    el("p", { className: "small", text: `${Math.round(c.score * 100)} % · ${c.reasons.join(", ")}` }),
    el("button", { type: "button", className: "quiet", dataset: { candidate: index },
      "aria-label": `Make claim from “${c.quote.slice(0, 60)}”`, text: "Make claim" }))));
}

async function toggleCandidates() {
  if (!$("show-candidates").checked) {
    view.candidates = null;
    renderCandidates();
    renderText();
    return;
  }
  try {
    await loadCandidates();
  } catch (err) {
    say(describeProblem(err), "error");
  }
}

function useCandidate(index) {
  const candidate = (view.candidates || [])[index];
  if (!candidate) return;
  const { start, end } = candidate.span;
  view.selection = { start, end, quote: candidate.quote };
  $("new-claim").hidden = false;
  $("new-claim-quote").textContent = `“${candidate.quote}”`;
  $("new-claim-quote").lang = view.article.language;
  $("new-claim-span").textContent = `Characters ${start}–${end}`;
  $("new-claim-text").value = candidate.request.body.text;
  $("new-claim-text").dataset.auto = "1";
  tell($("new-claim-message"), "");
  $("new-claim").scrollIntoView({ block: "nearest" });
  $("new-claim-form").querySelector("button[type=submit]").focus({ preventScroll: true });
}

// ---------------------------------------------------------------- verification updates

function addSourceRow() {
  const row = $("source-row").content.firstElementChild.cloneNode(true);
  row.querySelector(".source-remove").addEventListener("click", () => row.remove());
  $("verify-sources").append(row);
  return row;
}

function resetVerifyForm() {
  const claim = claimById(view.selected);
  $("verify-form").reset();
  $("verify-sources").replaceChildren();
  tell($("verify-message"), "");
  if (claim && claim.status !== "unverified") $("verify-status").value = claim.status;
  else $("verify-status").value = "in_review";
}

async function submitVerification(event) {
  event.preventDefault();
  const claim = claimById(view.selected);
  if (!claim) return;
  const message = $("verify-message");
  const body = { status: $("verify-status").value };
  const note = $("verify-note").value.trim();
  if (note) body.note = note;
  const ratingText = $("verify-rating").value.trim();
  if (ratingText) body.rating_text = ratingText;
  const links = [];
  for (const row of $("verify-sources").querySelectorAll(".source-row")) {
    const url = row.querySelector(".source-url").value.trim();
    if (!url) continue;
    const link = { source: { url }, relation: row.querySelector(".source-relation").value };
    const excerpt = row.querySelector(".source-excerpt").value.trim();
    if (excerpt) link.excerpt = excerpt;
    links.push(link);
  }
  if (links.length) body.sources = links;

  const button = $("verify-submit");
  button.disabled = true;
  tell(message, "Sending…");
  try {
    const result = await api("POST", `/v1/claims/${claim.id}/verifications`, { body, version: claim.version });
    replaceClaim(result.claim);
    resetVerifyForm();
    tell(message, `Saved: claim ${claimNumber(claim.id)} is now ${statusLabel(result.claim.status)}.`, "ok");
    renderHistory(true);
  } catch (err) {
    if (err.status === 412) {
      await reloadClaim(claim.id);
      const fresh = claimById(claim.id);
      const who = fresh && fresh.updated_by ? ` by ${fresh.updated_by}` : "";
      const now = fresh ? ` It is now ${statusLabel(fresh.status)} (changed${who}).` : "";
      tell(message, `Someone else changed this claim meanwhile; it has been reloaded.${now} `
        + "Check it and submit again.", "error");
    } else if (err.status === 404) {
      await reloadClaims();
      tell(message, describeProblem(err), "error");
    } else {
      tell(message, describeProblem(err), "error");
    }
  } finally {
    button.disabled = false;
  }
}

function replaceClaim(claim) {
  const at = view.claims.findIndex((c) => c.id === claim.id);
  if (at === -1) view.claims.push(claim);
  else view.claims[at] = claim;
  renderClaims();
  renderHistory(false);
}

async function reloadClaim(id) {
  try {
    replaceClaim(await api("GET", `/v1/claims/${id}`));
  } catch (err) {
    if (err.status === 404) await reloadClaims();
    else throw err;
  }
}

async function reloadClaims() {
  const page = await api("GET", `/v1/articles/${view.article.id}/claims`);
  applyClaims(page.items, false);
}

// ---------------------------------------------------------------- live updates

function signature(claims) {
  return claims.map((c) => `${c.id}:${c.version}`).join(",");
}

// Fresh claims from another desk (or our own reload): redraw when anything changed, and say
// what changed so a screen reader hears it too.
function applyClaims(claims, announce) {
  if (signature(claims) === signature(view.claims)) return;
  const before = new Map(view.claims.map((c) => [c.id, c]));
  view.claims = claims;
  renderClaims();
  renderHistory(false);
  if (!announce) return;
  const notes = [];
  for (const claim of claims) {
    const old = before.get(claim.id);
    const who = claim.updated_by ? ` by ${claim.updated_by}` : "";
    if (!old) notes.push(`Claim ${claimNumber(claim.id)} was added${who}.`);
    else if (old.version !== claim.version) {
      notes.push(old.status !== claim.status
        ? `Claim ${claimNumber(claim.id)} is now ${statusLabel(claim.status)}${who}.`
        : `Claim ${claimNumber(claim.id)} was changed${who}.`);
    }
  }
  if (claims.length < before.size) notes.push("A claim was removed.");
  if (notes.length) say(notes.join(" "));
}

let stopWatching = null;

function startLive(articleId) {
  stopLive();
  stopWatching = watchArticleClaims(articleId, async (claims) => {
    const article = await api("GET", `/v1/articles/${articleId}`);
    if (article.version === view.article.version) {
      applyClaims(claims, true);
      return;
    }
    setArticle(article);
    view.claims = []; // the text may have changed: draw everything again
    applyClaims(claims, false);
    if (!claims.length) renderClaims();
    say("The article was changed; its text and claims have been reloaded.");
  });
}

function stopLive() {
  if (stopWatching) stopWatching();
  stopWatching = null;
}

function setLiveState(ok) {
  const state = $("live-state");
  state.hidden = false;
  state.textContent = ok ? "Live: updates every few seconds" : "Offline: retrying…";
  state.classList.toggle("offline", !ok);
}

// How the page learns of changes by other desks: it follows the change feed (GET /v1/events)
// from the moment the page opened, and when an event concerns this article it reloads the
// article's claims. onClaims(claims) receives them; the returned function stops watching.
function watchArticleClaims(articleId, onClaims) {
  let timer = null;
  let stopped = false;
  let cursor = null;
  let last = null;
  const concerns = (event) =>
    event.data && (event.data.article_id === articleId || (event.type.startsWith("article.") && event.data.id === articleId));
  // An article event (a new body that moved no claim, a new title) reloads even when the
  // claims look the same.
  async function reload(articleChanged = false) {
    const page = await api("GET", `/v1/articles/${encodeURIComponent(articleId)}/claims`);
    const now = signature(page.items);
    if (now !== last || articleChanged) {
      last = now;
      await onClaims(page.items);
    }
  }
  async function tick() {
    if (stopped) return;
    if (!document.hidden) {
      try {
        if (cursor === null) {
          cursor = (await api("GET", "/v1/events?start=now")).next_cursor;
          await reload(); // anything changed before the cursor was taken
        }
        let relevant = false;
        let articleChanged = false;
        for (;;) {
          const query = `cursor=${encodeURIComponent(cursor)}&type=claim.*&type=article.*&limit=500`;
          const page = await api("GET", `/v1/events?${query}`);
          cursor = page.next_cursor;
          relevant = relevant || page.items.some(concerns);
          articleChanged = articleChanged
            || page.items.some((e) => e.type.startsWith("article.") && e.data && e.data.id === articleId);
          if (page.items.length < 500) break;
        }
        setLiveState(true);
        if (relevant) await reload(articleChanged);
      } catch (err) {
        if (err.status === 401) return;
        setLiveState(false);
      }
    }
    if (!stopped) timer = setTimeout(tick, LIVE_INTERVAL_MS);
  }
  timer = setTimeout(tick, 0);
  setLiveState(true);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// ---------------------------------------------------------------- wiring

function setUpArticleView() {
  view.detailNode = $("claim-detail");
  view.detailHome = $("detail-home");
  const text = $("article-text");
  text.addEventListener("click", (event) => {
    const selection = window.getSelection();
    if (selection && !selection.isCollapsed) return; // a drag to select words, not a click
    const candidate = event.target.closest("span.candidate");
    if (candidate) { useCandidate(Number(candidate.dataset.candidate)); return; }
    const mark = event.target.closest("mark[data-claims]");
    if (mark) selectFromMark(mark);
  });
  text.addEventListener("keydown", (event) => {
    const mark = event.target.closest && event.target.closest("mark[data-claims]");
    if (!mark || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    selectFromMark(mark);
  });
  text.addEventListener("mouseup", () => setTimeout(offerNewClaim, 0));
  text.addEventListener("keyup", (event) => { if (event.shiftKey) offerNewClaim(); });
  $("claim-list").addEventListener("click", (event) => {
    const item = event.target.closest(".claim-item");
    if (item) selectClaim(item.dataset.claim);
  });
  $("new-claim-form").addEventListener("submit", (event) => submitNewClaim(event));
  $("show-candidates").addEventListener("change", toggleCandidates);
  $("candidate-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-candidate]");
    if (button) useCandidate(Number(button.dataset.candidate));
  });
  $("new-claim-cancel").addEventListener("click", closeNewClaim);
  $("new-claim-text").addEventListener("input", (event) => { event.target.dataset.auto = "0"; });
  $("verify-form").addEventListener("submit", (event) => submitVerification(event));
  $("verify-add-source").addEventListener("click", () => addSourceRow().querySelector("input").focus());
}

async function route() {
  if (!apiKey()) { askForKey(); return; }
  $("forget-key").hidden = false;
  const match = /^\/review\/articles\/([^/]+)\/?$/.exec(window.location.pathname);
  try {
    if (match) await showArticle(decodeURIComponent(match[1]));
    else if (/^\/review\/queue\/?$/.test(window.location.pathname)) await showQueue();
    else await showList();
  } catch (err) {
    if (err.status !== 401) say(describeProblem(err), "error");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setUpKey();
  setUpArticleView();
  setUpDesk();
  route();
});
