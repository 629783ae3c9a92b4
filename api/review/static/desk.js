// The desk's additions to the review pages (loaded after review.js, whose helpers it uses):
// the queue at /review/queue, claim counts in the article list, the claim actions (unlink a
// source, edit text and claimant, place a claim on other words, delete with a confirmation),
// and revisions (the current one, reworded and orphaned claims, the changes between two).
// As in review.js, everything from the API is written as text, never as HTML.
"use strict";

const QUEUE_DEFAULT_STATUSES = ["unverified", "in_review"];
const QUEUE_PAGE = 500; // claims per request
const QUEUE_MAX = 2000; // claims loaded at most; the queue says so when more match
const QUEUE_SHOWN = 100; // rows drawn at first, "Show more" adds as many
const PARALLEL = 4; // requests the list pages make at once
const DIFF_MAX_EDITS = 2000; // beyond, two texts are shown as replaced rather than compared (bounded time and memory)
const DIFF_CONTEXT = 160; // characters of unchanged text kept around each change

// ---------------------------------------------------------------- small helpers

function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleDateString(undefined, { dateStyle: "medium" });
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many || `${one}s`}`;
}

// Runs at most PARALLEL of the given async tasks at once.
const limiter = { running: 0, waiting: [] };

function limited(task) {
  return new Promise((resolve, reject) => {
    const start = () => {
      limiter.running += 1;
      task().then(resolve, reject).finally(() => {
        limiter.running -= 1;
        const next = limiter.waiting.shift();
        if (next) next();
      });
    };
    if (limiter.running < PARALLEL) start();
    else limiter.waiting.push(start);
  });
}

// The search snippet is HTML (the text escaped, hits in <mark>): read it as text and marks.
function snippetNodes(snippet) {
  const unescape = (text) => text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  const nodes = [];
  String(snippet).split(/(<mark>.*?<\/mark>)/s).forEach((part) => {
    const hit = /^<mark>(.*)<\/mark>$/s.exec(part);
    if (hit) nodes.push(el("mark", { className: "hit", text: unescape(hit[1]) }));
    else if (part) nodes.push(unescape(part));
  });
  return nodes;
}

function anchorBadge(claim) {
  if (claim.anchor_status === "reworded") {
    return el("span", { className: "anchor-badge reworded", text: "words changed" });
  }
  if (claim.anchor_status === "orphaned") {
    return el("span", { className: "anchor-badge orphaned", text: "not found in the text" });
  }
  return null;
}

// ---------------------------------------------------------------- word-level differences

// Words, runs of white space and single other characters: a change of a comma is one token.
function tokens(text) {
  return String(text).match(/\s+|[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) || [];
}

// Myers' O(ND) difference of two token lists, as [kind, tokens] with kind "=", "-" or "+".
function diffTokens(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA -= 1; endB -= 1; }
  const middle = shortestEdit(a.slice(start, endA), b.slice(start, endB));
  const ops = [];
  if (start) ops.push(["=", a.slice(0, start)]);
  ops.push(...middle);
  if (endA < a.length) ops.push(["=", a.slice(endA)]);
  return mergeOps(shiftRuns(cleanupOps(ops)));
}

// Changes separated only by white space read as one change: "-Es +Inzwischen = -seien +sollen"
// becomes "-Es seien +Inzwischen sollen".
function cleanupOps(ops) {
  const flat = [];
  for (const [kind, list] of ops) for (const token of list) flat.push([kind, token]);
  const out = [];
  let i = 0;
  while (i < flat.length) {
    if (flat[i][0] === "=") { out.push(flat[i]); i += 1; continue; }
    // A run of changes, taking in white space that has changes on both sides.
    const removed = [];
    const added = [];
    let j = i;
    for (;;) {
      while (j < flat.length && flat[j][0] !== "=") {
        (flat[j][0] === "-" ? removed : added).push(flat[j][1]);
        j += 1;
      }
      const gap = j < flat.length && /^\s+$/u.test(flat[j][1]) && j + 1 < flat.length && flat[j + 1][0] !== "=";
      if (!gap || !removed.length || !added.length) break;
      removed.push(flat[j][1]);
      added.push(flat[j][1]);
      j += 1;
    }
    for (const token of removed) out.push(["-", token]);
    for (const token of added) out.push(["+", token]);
    i = j;
  }
  return out;
}

// A deletion or insertion that could as well end one punctuation mark later is moved there, so
// a removed sentence reads " Öffentliche … illegal." rather than ". Öffentliche … illegal".
function shiftRuns(flat) {
  const ops = flat.slice();
  for (let i = 0; i < ops.length; i += 1) {
    if (ops[i][0] === "=") continue;
    let end = i;
    while (end < ops.length && ops[end][0] === ops[i][0]) end += 1;
    while (end < ops.length && ops[end][0] === "=" && ops[end][1] === ops[i][1]
      && /^[^\s\p{L}\p{M}\p{N}]$/u.test(ops[i][1])) {
      ops[end] = [ops[i][0], ops[i][1]];
      ops[i] = ["=", ops[i][1]];
      i += 1;
      end += 1;
    }
    i = end - 1;
  }
  return ops.map(([kind, token]) => [kind, [token]]);
}

function shortestEdit(a, b) {
  const n = a.length;
  const m = b.length;
  if (!n && !m) return [];
  if (!n) return [["+", b]];
  if (!m) return [["-", a]];
  const max = Math.min(n + m, DIFF_MAX_EDITS);
  const offset = n + m;
  const v = new Int32Array(2 * offset + 2);
  const trace = [];
  for (let d = 0; d <= max; d += 1) {
    trace.push(v.slice(offset - d, offset + d + 1)); // v as step d found it, for k in [-d, d]
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])
        ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x += 1; y += 1; }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, d);
    }
  }
  return [["-", a], ["+", b]]; // too different to be worth comparing word by word
}

function backtrack(trace, a, b, last) {
  const edits = [];
  let x = a.length;
  let y = b.length;
  for (let d = last; d > 0; d -= 1) {
    const before = trace[d];
    const at = (k) => before[k + d];
    const k = x - y;
    const previousK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) { edits.push(["=", [a[x - 1]]]); x -= 1; y -= 1; }
    if (x === previousX) edits.push(["+", [b[previousY]]]);
    else edits.push(["-", [a[previousX]]]);
    x = previousX;
    y = previousY;
  }
  while (x > 0 && y > 0) { edits.push(["=", [a[x - 1]]]); x -= 1; y -= 1; }
  return edits.reverse();
}

function mergeOps(ops) {
  const merged = [];
  for (const [kind, list] of ops) {
    if (!list.length) continue;
    const last = merged[merged.length - 1];
    if (last && last[0] === kind) last[1] = last[1].concat(list);
    else merged.push([kind, list.slice()]);
  }
  return merged.map(([kind, list]) => [kind, list.join("")]);
}

function countWords(text) {
  return (String(text).match(/[\p{L}\p{N}]+/gu) || []).length;
}

// The difference as nodes: unchanged text (long stretches shortened), <del> and <ins>.
function diffNodes(ops, shorten) {
  const nodes = [];
  ops.forEach(([kind, text], index) => {
    if (kind === "-") { nodes.push(el("del", { text })); return; }
    if (kind === "+") { nodes.push(el("ins", { text })); return; }
    const chars = Array.from(text);
    const first = index === 0;
    const lastOne = index === ops.length - 1;
    const keep = (first || lastOne ? 1 : 2) * DIFF_CONTEXT;
    if (!shorten || chars.length <= keep + 40) { nodes.push(text); return; }
    const head = first ? "" : chars.slice(0, DIFF_CONTEXT).join("");
    const tail = lastOne ? "" : chars.slice(-DIFF_CONTEXT).join("");
    const skipped = chars.length - codePoints(head) - codePoints(tail);
    if (head) nodes.push(head);
    nodes.push(el("span", { className: "diff-skip", text: ` … ${skipped} unchanged characters … ` }));
    if (tail) nodes.push(tail);
  });
  return nodes;
}

// ---------------------------------------------------------------- the article list

function articleListMeta(article) {
  const when = article.published_at
    ? formatDate(article.published_at)
    : `added ${formatDate(article.created_at)}, no publication date`;
  return [article.outlet, languageName(article.language), when].filter(Boolean).join(" · ");
}

// Counts of the article's claims per status (and those whose words changed or went missing).
function showArticleCounts(item, article) {
  const box = el("div", { className: "counts small", text: "Counting claims…" });
  item.append(box);
  limited(() => api("GET", `/v1/articles/${encodeURIComponent(article.id)}/claims`)).then((page) => {
    const counts = new Map();
    let reworded = 0;
    let orphaned = 0;
    for (const claim of page.items) {
      counts.set(claim.status, (counts.get(claim.status) || 0) + 1);
      if (claim.anchor_status === "reworded") reworded += 1;
      if (claim.anchor_status === "orphaned") orphaned += 1;
    }
    if (!page.items.length) { box.textContent = "No claims yet."; return; }
    const parts = Object.keys(STATUS).filter((s) => counts.has(s)).map((status) =>
      el("span", { className: "count", dataset: { status } }, `${counts.get(status)} `, chip(status)));
    if (reworded) parts.push(el("span", { className: "count anchor-badge reworded", text: `${reworded} reworded` }));
    if (orphaned) parts.push(el("span", { className: "count anchor-badge orphaned", text: `${orphaned} not found` }));
    box.replaceChildren(el("span", { text: `${plural(page.items.length, "claim")}: ` }), ...parts);
  }).catch((err) => { box.textContent = describeProblem(err); });
}

// ---------------------------------------------------------------- the queue

const queue = {
  filters: null,
  claims: [], // oldest change first
  shown: QUEUE_SHOWN,
  capped: false,
  loading: 0, // the number of the latest load; an older one's answers are dropped
  articles: new Map(), // id -> article (or a promise of it)
  stopFeed: null,
};

function queueFiltersFromUrl() {
  const params = new URLSearchParams(window.location.search);
  let statuses = params.getAll("status");
  if (!statuses.length) statuses = QUEUE_DEFAULT_STATUSES;
  if (statuses.includes("all")) statuses = [];
  return {
    statuses: statuses.filter((s) => STATUS[s]),
    tag: params.get("tag") || "",
    language: params.get("language") || "",
    q: params.get("q") || "",
    anchor_status: params.get("anchor_status") || "",
  };
}

function queueQuery(filters) {
  const query = new URLSearchParams();
  if (!filters.statuses.length) query.append("status", "all");
  for (const status of filters.statuses) query.append("status", status);
  for (const name of ["tag", "language", "q", "anchor_status"]) if (filters[name]) query.set(name, filters[name]);
  return query;
}

function fillQueueForm(filters) {
  for (const box of document.querySelectorAll("#queue-statuses input[type=checkbox]")) {
    box.checked = filters.statuses.includes(box.value);
  }
  $("queue-tag").value = filters.tag;
  $("queue-language").value = filters.language;
  $("queue-q").value = filters.q;
  $("queue-anchor").value = filters.anchor_status;
}

function readQueueForm() {
  return {
    statuses: [...document.querySelectorAll("#queue-statuses input:checked")].map((box) => box.value),
    tag: $("queue-tag").value.trim(),
    language: $("queue-language").value.trim(),
    q: $("queue-q").value.trim(),
    anchor_status: $("queue-anchor").value,
  };
}

function describeFilters(filters) {
  const parts = [filters.statuses.length ? filters.statuses.map(statusLabel).join(" or ") : "any status"];
  if (filters.anchor_status) parts.push(`words ${filters.anchor_status}`);
  if (filters.tag) parts.push(`tag “${filters.tag}”`);
  if (filters.language) parts.push(`language ${filters.language}`);
  if (filters.q) parts.push(`text “${filters.q}”`);
  return parts.join(", ");
}

// Waiting longest first: the claim whose last change is oldest.
function byWaiting(a, b) {
  return a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : a.id < b.id ? -1 : 1;
}

async function showQueue() {
  $("queue-view").hidden = false;
  document.title = "Queue · Review";
  queue.filters = queueFiltersFromUrl();
  fillQueueForm(queue.filters);
  // The feed's position first: a change made while the queue is read is then not missed.
  const cursor = (await api("GET", "/v1/events?start=now")).next_cursor;
  await loadQueue();
  startQueueLive(cursor);
}

// GET /v1/claims takes one status at a time and lists newest first: every status asked for is
// read to its end (up to QUEUE_MAX claims in all), then the queue is put oldest first.
async function loadQueue() {
  const token = ++queue.loading;
  const filters = queue.filters;
  $("queue-summary").textContent = "Loading…";
  const found = new Map();
  let capped = false;
  for (const status of filters.statuses.length ? filters.statuses : [null]) {
    let cursor = null;
    do {
      const query = new URLSearchParams({ limit: String(QUEUE_PAGE) });
      if (status) query.set("status", status);
      for (const name of ["tag", "language", "q", "anchor_status"]) if (filters[name]) query.set(name, filters[name]);
      if (cursor) query.set("cursor", cursor);
      const page = await api("GET", `/v1/claims?${query}`);
      if (token !== queue.loading) return;
      for (const claim of page.items) found.set(claim.id, claim);
      cursor = page.next_cursor;
      if (cursor && found.size >= QUEUE_MAX) { capped = true; cursor = null; }
    } while (cursor);
    if (capped) break;
  }
  queue.claims = [...found.values()].sort(byWaiting);
  queue.capped = capped;
  queue.shown = QUEUE_SHOWN;
  await renderQueue();
}

function queueArticle(id) {
  if (!queue.articles.has(id)) {
    queue.articles.set(id, limited(() => api("GET", `/v1/articles/${encodeURIComponent(id)}`))
      .catch(() => null));
  }
  return queue.articles.get(id);
}

async function renderQueue() {
  const filters = queue.filters;
  const shown = queue.claims.slice(0, queue.shown);
  const articles = new Map();
  await Promise.all([...new Set(shown.map((c) => c.article_id))].map(async (id) => {
    articles.set(id, await queueArticle(id));
  }));
  const count = queue.claims.length;
  let summary = `${plural(count, "claim")} (${describeFilters(filters)}), waiting longest first.`;
  if (queue.capped) {
    summary = `More than ${QUEUE_MAX} claims match (${describeFilters(filters)}): these are the ${QUEUE_MAX} `
      + "changed most recently, waiting longest first. Narrow the filters to reach older ones.";
  }
  $("queue-summary").textContent = summary;
  $("queue-list").replaceChildren(...shown.map((claim) => queueItem(claim, articles.get(claim.article_id))));
  if (!count) $("queue-list").append(el("li", { className: "small", text: "Nothing waits here." }));
  $("queue-more").hidden = queue.claims.length <= queue.shown;
}

function queueItem(claim, article) {
  const where = `/review/articles/${encodeURIComponent(claim.article_id)}#claim-${encodeURIComponent(claim.id)}`;
  const quote = claim.search && claim.search.snippet
    ? el("p", { className: "quote snippet", dir: "auto" }, ...snippetNodes(claim.search.snippet))
    : el("p", { className: "quote", dir: "auto", lang: article ? article.language : null, text: `“${claim.quote}”` });
  const about = [
    article ? article.title : "an article that could not be read",
    article && article.outlet,
    article && article.published_at ? formatDate(article.published_at) : null,
  ].filter(Boolean).join(" · ");
  const facts = [
    claim.claimant ? `Claimant: ${claim.claimant}` : null,
    claim.tags.length ? `Tags: ${claim.tags.join(", ")}` : null,
    `waiting since ${formatTime(claim.updated_at)}${claim.updated_by ? `, last change by ${claim.updated_by}` : ""}`,
  ].filter(Boolean).join(" · ");
  return el("li", { className: `queue-item st-${claim.status}`, dataset: { claim: claim.id, status: claim.status } },
    el("div", { className: "queue-head" }, chip(claim.status), anchorBadge(claim)),
    el("a", { className: "queue-link", href: where, dir: "auto", lang: claim.language, text: claim.text }),
    quote,
    el("p", { className: "small", dir: "auto", text: about }),
    el("p", { className: "small", text: facts }));
}

function matchesQueue(claim, filters) {
  if (filters.statuses.length && !filters.statuses.includes(claim.status)) return false;
  if (filters.tag && !(claim.tags || []).includes(filters.tag)) return false;
  if (filters.anchor_status && claim.anchor_status !== filters.anchor_status) return false;
  if (filters.language) {
    const want = filters.language.toLowerCase();
    const have = String(claim.language || "").toLowerCase();
    if (have !== want && !have.startsWith(`${want}-`)) return false;
  }
  return true;
}

// The queue follows the change feed: a changed claim joins, moves or leaves; with a text search
// (which only the API can judge) the queue is read again.
function startQueueLive(cursor) {
  if (queue.stopFeed) queue.stopFeed();
  queue.stopFeed = followFeed(["claim.*"], cursor, async (events) => {
    if (queue.filters.q) { await loadQueue(); return; }
    let changed = false;
    for (const event of events) {
      const data = event.data || {};
      const at = queue.claims.findIndex((c) => c.id === data.id);
      if (event.type === "claim.deleted" || !data.status) {
        if (event.type === "claim.deleted" && at !== -1) { queue.claims.splice(at, 1); changed = true; }
        continue;
      }
      if (at !== -1) queue.claims.splice(at, 1);
      if (matchesQueue(data, queue.filters)) queue.claims.push(data);
      changed = changed || at !== -1 || matchesQueue(data, queue.filters);
    }
    if (!changed) return;
    queue.claims.sort(byWaiting);
    await renderQueue();
  });
}

// Follows GET /v1/events from the cursor given (else from now on); onEvents(events) gets each
// batch of events of the given types.
function followFeed(types, from, onEvents) {
  let timer = null;
  let stopped = false;
  let cursor = from || null;
  async function tick() {
    if (stopped) return;
    if (!document.hidden) {
      try {
        if (cursor === null) cursor = (await api("GET", "/v1/events?start=now")).next_cursor;
        for (;;) {
          const query = new URLSearchParams({ cursor, limit: "500" });
          for (const type of types) query.append("type", type);
          const page = await api("GET", `/v1/events?${query}`);
          cursor = page.next_cursor;
          if (page.items.length) await onEvents(page.items);
          if (page.items.length < 500) break;
        }
        setLiveState(true);
      } catch (err) {
        if (err.status === 401) return;
        setLiveState(false);
      }
    }
    if (!stopped) timer = setTimeout(tick, LIVE_INTERVAL_MS);
  }
  timer = setTimeout(tick, 0);
  return () => { stopped = true; clearTimeout(timer); };
}

function setUpQueue() {
  $("queue-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    queue.filters = readQueueForm();
    window.history.replaceState(null, "", `/review/queue?${queueQuery(queue.filters)}`);
    loadQueue().catch((err) => { $("queue-summary").textContent = describeProblem(err); });
  });
  $("queue-more").addEventListener("click", () => {
    queue.shown += QUEUE_SHOWN;
    renderQueue().catch((err) => say(describeProblem(err), "error"));
  });
}

// ---------------------------------------------------------------- an article: where to start

async function afterArticleShown() {
  await loadRevisions();
  selectFromHash();
}

// /review/articles/{id}#claim-{claim id}, as the queue links: that claim, selected and in view.
function selectFromHash() {
  const match = /^#claim-(.+)$/.exec(window.location.hash);
  if (!match) return;
  const id = decodeURIComponent(match[1]);
  if (!claimById(id)) { say("That claim is no longer in this article.", "error"); return; }
  selectClaim(id);
  const item = $("claim-list").querySelector(`li[data-claim="${CSS.escape(id)}"]`);
  if (item && !$("article-text").querySelector(`.layer[data-claim="${CSS.escape(id)}"]`)) {
    item.scrollIntoView({ block: "start" });
  }
}

// ---------------------------------------------------------------- revisions

const revisions = { items: [], for: null };

function revisionLabel(revision) {
  const { anchored, reworded, orphaned } = revision.summary;
  const effect = revision.revision === 1 ? "as created"
    : `${anchored} kept, ${reworded} reworded, ${orphaned} not found`;
  return `Revision ${revision.revision} · ${formatTime(revision.created_at)}`
    + `${revision.actor ? ` by ${revision.actor}` : ""} · ${plural(revision.length, "character")} · ${effect}`;
}

async function loadRevisions() {
  const article = view.article;
  const page = await api("GET", `/v1/articles/${encodeURIComponent(article.id)}/revisions?limit=500`);
  if (view.article.id !== article.id) return;
  revisions.items = page.items;
  revisions.for = `${article.id}@${article.revision}`;
  renderRevisions();
}

function renderRevisions() {
  const article = view.article;
  const items = revisions.items;
  const box = $("revisions");
  box.hidden = false;
  $("revisions-summary").textContent = items.length > 1
    ? `Revision ${article.revision} of ${items.length}: the text was changed ${plural(items.length - 1, "time")}`
    : "Revision 1: the text as it was created";
  $("revision-list").replaceChildren(...items.map((r) => el("li", {
    className: r.revision === article.revision ? "current" : null,
    "aria-current": r.revision === article.revision ? "true" : null,
  }, revisionLabel(r))));
  const form = $("diff-form");
  form.hidden = items.length < 2;
  for (const [id, pick] of [["diff-from", 1], ["diff-to", 0]]) {
    const select = $(id);
    const kept = select.value;
    select.replaceChildren(...items.map((r) => el("option", { value: r.revision, text: `Revision ${r.revision}` })));
    if (kept && items.some((r) => String(r.revision) === kept)) select.value = kept;
    else if (items[pick]) select.value = String(items[pick].revision);
  }
}

// The article changed while the page was open (another desk's edit): read its revisions again.
function revisionsChanged() {
  if (!view.article || revisions.for === `${view.article.id}@${view.article.revision}`) return;
  loadRevisions().catch((err) => say(describeProblem(err), "error"));
}

const revisionBodies = new Map(); // "article@n" -> body

async function revisionBody(n) {
  const key = `${view.article.id}@${n}`;
  if (!revisionBodies.has(key)) {
    const revision = await api("GET", `/v1/articles/${encodeURIComponent(view.article.id)}/revisions/${n}`);
    revisionBodies.set(key, revision.body);
  }
  return revisionBodies.get(key);
}

async function showRevisionDiff(event) {
  event.preventDefault();
  const from = Number($("diff-from").value);
  const to = Number($("diff-to").value);
  const output = $("diff-output");
  const summary = $("diff-summary");
  if (from === to) {
    summary.textContent = "Choose two different revisions.";
    output.replaceChildren();
    return;
  }
  summary.textContent = "Comparing…";
  try {
    const [before, after] = await Promise.all([revisionBody(from), revisionBody(to)]);
    const ops = diffTokens(tokens(before), tokens(after));
    const removed = ops.filter(([k]) => k === "-").reduce((n, [, t]) => n + countWords(t), 0);
    const added = ops.filter(([k]) => k === "+").reduce((n, [, t]) => n + countWords(t), 0);
    summary.textContent = ops.some(([k]) => k !== "=")
      ? `From revision ${from} to ${to}: ${plural(removed, "word")} removed, ${plural(added, "word")} added `
        + "(removed struck through, added underlined)."
      : `Revisions ${from} and ${to} have the same text.`;
    output.lang = view.article.language;
    output.replaceChildren(...diffNodes(ops, true));
  } catch (err) {
    summary.textContent = describeProblem(err);
  }
}

// ---------------------------------------------------------------- one claim: its words

// A reworded claim shows its old quote beside the new words (from its history's latest
// "reworded" entry); an orphaned one says its words are gone and how to place it again.
function renderWording(claim, history) {
  const box = $("detail-wording");
  if (claim.anchor_status === "orphaned") {
    box.hidden = false;
    box.className = "wording orphaned";
    box.replaceChildren(
      el("p", { text: `Not found in the current text (revision ${view.article.revision}). Its words were:` }),
      el("p", { className: "quote", dir: "auto", lang: view.article.language, text: `“${claim.quote}”` }),
      el("p", { className: "small", text: "Select the words it refers to now with “Place on other words”." }));
    return;
  }
  if (claim.anchor_status !== "reworded") { box.hidden = true; box.replaceChildren(); return; }
  box.hidden = false;
  box.className = "wording reworded";
  const entry = (history || []).filter((e) => e.kind === "reworded" && e.wording).pop();
  if (!entry) {
    box.replaceChildren(el("p", { text: `Its words changed in revision ${claim.revision || view.article.revision}.` }));
    return;
  }
  const before = entry.wording.quote_before || "";
  const after = entry.wording.quote_after || claim.quote;
  const ops = diffTokens(tokens(before), tokens(after));
  box.replaceChildren(
    el("p", { text: `Its words changed in revision ${claim.revision || view.article.revision} (${formatTime(entry.created_at)}). `
      + "A desk should look again: a verdict, or editing its words, confirms it." }),
    el("div", { className: "wording-pair" },
      el("div", { className: "before" }, el("span", { className: "small", text: "Before" }),
        el("p", { className: "quote", dir: "auto", lang: view.article.language },
          ...diffNodes(ops.filter(([k]) => k !== "+"), false))),
      el("div", { className: "after" }, el("span", { className: "small", text: "Now" }),
        el("p", { className: "quote", dir: "auto", lang: view.article.language },
          ...diffNodes(ops.filter(([k]) => k !== "-"), false)))));
}

// A history entry whose kind is "reworded": what the words were and became.
function rewordedEntry(entry) {
  const wording = entry.wording || {};
  const parts = [];
  if (wording.quote_before !== wording.quote_after) {
    parts.push(el("span", { className: "excerpt", dir: "auto" }, "Quote: ",
      el("del", { text: wording.quote_before || "" }), " → ", el("ins", { text: wording.quote_after || "" })));
  }
  if (wording.text_before !== wording.text_after) {
    parts.push(el("span", { className: "excerpt", dir: "auto" }, "Text: ",
      el("del", { text: wording.text_before || "" }), " → ", el("ins", { text: wording.text_after || "" })));
  }
  return el("li", { className: "reworded-entry" },
    el("span", { className: "small", text: `${formatTime(entry.created_at)} · ${entry.actor || "no key"} · ` }),
    "Words changed, ", chip(entry.status), " kept",
    entry.note ? el("span", { className: "excerpt", dir: "auto", text: entry.note }) : null,
    ...parts);
}

// ---------------------------------------------------------------- one claim: actions

const desk = {
  actionsFor: null, // the claim the action forms were opened for
  placing: null, // the claim being placed on other words, while the desk selects them
  placed: null, // {start, end, quote} of the words selected for it
  history: null, // {id, items}: the selected claim's history as last read
};

function detailMessage(text, kind) {
  tell($("detail-message"), text, kind);
}

function unlinkButton(claim, link) {
  const title = link.source.title || link.source.url;
  return el("button", {
    type: "button", className: "quiet small-button unlink", dataset: { source: link.source.id },
    "aria-label": `Unlink ${title}`, text: "Unlink",
  });
}

// Called by renderDetail for the selected claim: forms stay open (and typing survives) while
// the same claim is redrawn; they close when another claim is selected.
function renderClaimActions(claim) {
  if (desk.actionsFor !== claim.id) {
    desk.actionsFor = claim.id;
    closeEdit();
    closeDelete();
    detailMessage("");
    if (desk.placing && desk.placing !== claim.id) stopPlacing();
  }
  $("place-claim").textContent = claim.anchor_status === "orphaned" ? "Place it on words in the text" : "Place on other words";
  renderWording(claim, desk.history && desk.history.id === claim.id ? desk.history.items : null);
}

// Called by renderHistory with the selected claim's history as it arrives.
function historyArrived(claim, items) {
  desk.history = { id: claim.id, items };
  renderWording(claim, items);
}

// The failure of a claim action, in words; a 412 reloads the claim first.
async function claimActionFailed(claim, err) {
  if (err.status === 412) {
    await reloadClaim(claim.id);
    const fresh = claimById(claim.id);
    const who = fresh && fresh.updated_by ? ` by ${fresh.updated_by}` : "";
    detailMessage(`Someone else changed this claim meanwhile${who}; it has been reloaded. Check it and try again.`, "error");
  } else if (err.status === 404) {
    await reloadClaims();
    say(describeProblem(err), "error");
  } else {
    detailMessage(describeProblem(err), "error");
  }
}

async function unlinkSource(sourceId) {
  const claim = claimById(view.selected);
  const link = claim && claim.sources.find((l) => l.source.id === sourceId);
  if (!link) return;
  const title = link.source.title || link.source.url;
  try {
    await api("DELETE", `/v1/claims/${claim.id}/sources/${encodeURIComponent(sourceId)}`, { version: claim.version });
    await reloadClaim(claim.id);
    detailMessage(`Unlinked “${title}” from claim ${claimNumber(claim.id)}.`, "ok");
  } catch (err) {
    await claimActionFailed(claim, err);
  }
}

function openEdit() {
  const claim = claimById(view.selected);
  if (!claim) return;
  closeDelete();
  $("edit-form").hidden = false;
  $("edit-text").value = claim.text;
  $("edit-claimant").value = claim.claimant || "";
  $("edit-version").textContent = `(version ${claim.version})`;
  $("edit-form").dataset.version = claim.version;
  $("edit-text").focus();
}

function closeEdit() {
  $("edit-form").hidden = true;
  $("edit-form").reset();
}

async function submitEdit(event) {
  event.preventDefault();
  const claim = claimById(view.selected);
  if (!claim) return;
  const text = $("edit-text").value.trim();
  const claimant = $("edit-claimant").value.trim();
  const body = {};
  if (text !== claim.text) body.text = text;
  if ((claimant || null) !== (claim.claimant || null)) body.claimant = claimant || null;
  if (!Object.keys(body).length) { closeEdit(); detailMessage("Nothing changed."); return; }
  const button = $("edit-save");
  button.disabled = true;
  try {
    // The version the form was opened on: a change made since then is a 412, not overwritten.
    const version = Number($("edit-form").dataset.version);
    const updated = await api("PATCH", `/v1/claims/${claim.id}`, { body, version });
    closeEdit();
    replaceClaim(updated);
    detailMessage(`Saved: claim ${claimNumber(claim.id)} is at version ${updated.version}.`, "ok");
  } catch (err) {
    await claimActionFailed(claim, err);
  } finally {
    button.disabled = false;
  }
}

function startPlacing() {
  const claim = claimById(view.selected);
  if (!claim) return;
  closeEdit();
  closeDelete();
  desk.placing = claim.id;
  desk.placed = null;
  $("place-box").hidden = false;
  $("place-quote").textContent = "";
  $("place-span").textContent = "";
  $("place-submit").disabled = true;
  const banner = $("place-banner");
  banner.hidden = false;
  banner.textContent = `Select the words claim ${claimNumber(claim.id)} refers to in the text, then “Place it here”.`;
  const selection = window.getSelection();
  if (selection) selection.removeAllRanges();
}

function stopPlacing() {
  desk.placing = null;
  desk.placed = null;
  $("place-box").hidden = true;
  $("place-banner").hidden = true;
}

// Called by offerNewClaim: while a claim is being placed, a selection is for it, not a new claim.
function placeFromSelection() {
  if (!desk.placing) return false;
  const picked = readSelection();
  if (!picked) return true;
  desk.placed = picked;
  $("place-quote").textContent = `“${picked.quote}”`;
  $("place-quote").lang = view.article.language;
  $("place-span").textContent = `Characters ${picked.start}–${picked.end}`;
  $("place-submit").disabled = false;
  return true;
}

async function submitPlacement() {
  const claim = claimById(desk.placing);
  const picked = desk.placed;
  if (!claim || !picked) return;
  const button = $("place-submit");
  button.disabled = true;
  try {
    const body = { quote: picked.quote, span: { start: picked.start, end: picked.end } };
    const updated = await api("PATCH", `/v1/claims/${claim.id}`, { body, version: claim.version });
    stopPlacing();
    replaceClaim(updated);
    detailMessage(`Claim ${claimNumber(claim.id)} is placed on “${updated.quote}”.`, "ok");
  } catch (err) {
    button.disabled = false;
    await claimActionFailed(claim, err);
  }
}

async function openDelete() {
  const claim = claimById(view.selected);
  if (!claim) return;
  closeEdit();
  stopPlacing();
  let history;
  try {
    history = (await api("GET", `/v1/claims/${claim.id}/verifications?limit=500`)).items;
  } catch (err) {
    detailMessage(describeProblem(err), "error");
    return;
  }
  const number = claimNumber(claim.id);
  const links = claim.sources.map((l) => `“${l.source.title || l.source.url}” (${l.relation})`);
  const lost = [
    links.length ? `its ${plural(links.length, "source link")}: ${links.join(", ")}` : "no source links",
    history.length
      ? `its history of ${plural(history.length, "entry", "entries")} (${["unverified", ...history.map((e) => e.status)]
        .filter((s, i, all) => i === 0 || s !== all[i - 1]).map(statusLabel).join(" → ")})`
      : "no history",
    claim.rating ? `its rating “${claim.rating.text}”` : null,
  ].filter(Boolean);
  $("delete-text").textContent = `Delete claim ${number}, “${claim.text}”? Lost with it: ${lost.join("; ")}. `
    + "The sources themselves stay. This cannot be undone.";
  $("delete-confirm").textContent = `Delete claim ${number}`;
  $("delete-box").dataset.claim = claim.id;
  $("delete-box").dataset.version = claim.version;
  $("delete-box").hidden = false;
  $("delete-keep").focus();
}

function closeDelete() {
  $("delete-box").hidden = true;
}

async function confirmDelete() {
  const id = $("delete-box").dataset.claim;
  const claim = claimById(id);
  if (!claim) { closeDelete(); return; }
  const number = claimNumber(id);
  const button = $("delete-confirm");
  button.disabled = true;
  try {
    await api("DELETE", `/v1/claims/${id}`, { version: Number($("delete-box").dataset.version) });
    closeDelete();
    view.selected = null;
    await reloadClaims();
    say(`Claim ${number} (“${claim.text}”) was deleted with its links and history.`, "ok");
  } catch (err) {
    await claimActionFailed(claim, err);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- wiring

function setUpDesk() {
  setUpQueue();
  $("detail-sources").addEventListener("click", (event) => {
    const button = event.target.closest("button.unlink");
    if (button) unlinkSource(button.dataset.source);
  });
  $("edit-claim").addEventListener("click", openEdit);
  $("edit-form").addEventListener("submit", submitEdit);
  $("edit-cancel").addEventListener("click", closeEdit);
  $("place-claim").addEventListener("click", startPlacing);
  $("place-submit").addEventListener("click", submitPlacement);
  $("place-cancel").addEventListener("click", stopPlacing);
  $("delete-claim").addEventListener("click", openDelete);
  $("delete-keep").addEventListener("click", () => { closeDelete(); $("delete-claim").focus(); });
  $("delete-confirm").addEventListener("click", confirmDelete);
  $("diff-form").addEventListener("submit", showRevisionDiff);
  window.addEventListener("hashchange", () => { if (view.article) selectFromHash(); });
}
