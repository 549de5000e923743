// Chat page: sends each question with the earlier turns (the server keeps no
// conversation state) and shows answers with numbered citations. Everything
// from users or sources is inserted with textContent, never as HTML.
"use strict";

const history = [];
// With QA_API_KEY set, /api/ask needs the key: asked for on the first 401 and
// kept for this tab only (sessionStorage), never in the page or a cookie.
const KEY_STORE = "qa-api-key";
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

function addTurn(role, node) {
  const transcript = document.getElementById("transcript");
  node.classList.add("turn", role);
  transcript.appendChild(node);
  node.scrollIntoView({ block: "end" });
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December"];

// An ISO date as the API writes it ("2019", "2021-02", "2021-07-05", or a
// season "2021-early"/"-mid"/"-late") in words: "5 July 2021", "early 2021".
function readableDate(iso) {
  if (!iso) return "";
  const season = iso.match(/^(\d{4})-(early|mid|late)$/);
  if (season) return `${season[2]} ${season[1]}`;
  const parts = iso.match(/^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/);
  if (!parts) return iso;
  const [, year, month, day] = parts;
  if (!month) return year;
  const name = MONTHS[Number(month) - 1] || month;
  return day ? `${Number(day)} ${name} ${year}` : `${name} ${year}`;
}

// The outlet of a passage or timeline sentence: its publisher, else its title.
const outletOf = (p) => p.publisher || p.title || p.source;

// A button that opens a sentence in its source, marked (as the citations do).
function sentenceButton(p, quote, where) {
  const button = el("button", "citation");
  button.type = "button";
  if (quote !== null) button.appendChild(el("span", "quote", quote));
  button.appendChild(el("span", "where", where));
  button.addEventListener("click", () => showSource(p));
  return button;
}

function citationLabel(p) {
  const outlets = (p.sources || []).length;
  return `${p.title || p.source}${p.date ? " · " + p.date : ""} · sentence ${p.sentence + 1}` +
    (outlets > 1 ? ` · in ${outlets} sources` : "");
}

// The confidence is the calibrated probability that the answer is right
// (make train measures it): said in words, with the figure beside them.
function confidenceText(confidence) {
  const percent = Math.round(confidence * 100);
  const words = confidence >= 0.9 ? "very likely right" : confidence >= 0.7 ? "likely right" : "unsure";
  return `${words} (${percent} % of answers given this confidence were right)`;
}

function renderAnswer(data) {
  const box = el("div");
  if (data.answer !== null) {
    box.appendChild(el("p", "answer", data.answer));
    box.appendChild(el("p", "confidence", confidenceText(data.confidence)));
  } else {
    box.appendChild(el("p", "abstain", "The sources do not say."));
    if (data.passages.length) box.appendChild(el("p", "closest", "Closest matches:"));
  }
  if (data.disagreement) box.appendChild(renderDisagreement(data.disagreement, data.passages));
  const list = el("ol", "citations");
  data.passages.forEach((p) => {
    const item = el("li");
    item.appendChild(sentenceButton(p, p.text, citationLabel(p)));
    list.appendChild(item);
  });
  box.appendChild(list);
  addTurn("assistant", box);
}

const KIND_WORDS = { date: "dates", amount: "amounts", name: "names" };

// The sources give different values for what was asked: each value side by
// side, with the outlets and article dates that give it, each opening its sentence.
function renderDisagreement(differ, passages) {
  const block = el("section", "differ");
  const heading = el("h3", "", "Sources differ");
  heading.id = `differ-${document.querySelectorAll(".differ").length + 1}`;
  block.setAttribute("aria-labelledby", heading.id);
  block.appendChild(heading);
  block.appendChild(el("p", "differ-note",
    `The sources give different ${KIND_WORDS[differ.kind] || "values"}; the first has the most support.`));
  const values = el("ul", "differ-values");
  differ.values.forEach((v) => {
    const item = el("li", "differ-value");
    item.appendChild(el("p", "value", v.value));
    const outlets = el("ul", "differ-outlets");
    v.passages.forEach((n) => {
      const p = passages[n];
      if (!p) return;
      const copies = (p.sources || []).length;
      const where = [p.date ? readableDate(p.date) : "", copies > 1 ? `in ${copies} sources` : ""]
        .filter(Boolean).join(" · ");
      const button = sentenceButton(p, null, where);
      button.prepend(el("span", "outlet", outletOf(p)));
      button.title = p.text;
      const line = el("li");
      line.appendChild(button);
      outlets.appendChild(line);
    });
    item.appendChild(outlets);
    values.appendChild(item);
  });
  block.appendChild(values);
  return block;
}

// The timeline view (/timeline, ?q= a topic): the events the sources date, in
// date order, each with the sentences that date it.
async function showTimeline() {
  document.getElementById("chat-view").hidden = true;
  document.getElementById("chat-hint").hidden = true;
  document.getElementById("timeline-view").hidden = false;
  document.getElementById("timeline-hint").hidden = false;
  document.getElementById("nav-timeline").setAttribute("aria-current", "page");
  document.title = "Timeline · Ask the sources";
  const topic = new URLSearchParams(location.search).get("q") || "";
  document.getElementById("timeline-q").value = topic;
  const status = document.getElementById("timeline-status");
  const list = document.getElementById("timeline");
  status.textContent = "Loading…";
  try {
    const query = topic ? `?q=${encodeURIComponent(topic)}` : "";
    const response = await fetch(`/api/timeline${query}`);
    const data = await response.json();
    if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
    list.replaceChildren(...data.events.map(renderEvent));
    status.textContent = data.count === 0 ? (topic ? `No dated events about “${topic}”.` : "No dated events.")
      : `${data.count} event${data.count === 1 ? "" : "s"}${topic ? ` about “${topic}”` : ""}, oldest first.`;
  } catch (error) {
    list.replaceChildren();
    status.textContent = `Something went wrong: ${error.message}`;
  }
}

function renderEvent(event) {
  const item = el("li", "event");
  const when = el("p", "when", readableDate(event.date));
  when.dataset.first = event.first;
  item.appendChild(when);
  (event.disputed || []).forEach((other) => {
    const outlets = other.sources.map((id) => {
      const s = event.sentences.find((x) => x.source === id);
      return s ? outletOf(s) : id;
    });
    item.appendChild(el("p", "disputed", `Sources differ: ${readableDate(other.date)} according to ${outlets.join(", ")}`));
  });
  const sentences = el("ul", "event-sentences");
  event.sentences.forEach((s) => {
    const line = el("li");
    const where = [outletOf(s), s.date ? readableDate(s.date) : ""].filter(Boolean).join(" · ");
    line.appendChild(sentenceButton(s, s.text, where));
    sentences.appendChild(line);
  });
  item.appendChild(sentences);
  return item;
}

// /sources/<id>#<start>-<end> (the links of the OpenAI-compatible API's
// citations) opens the page on that source with the sentence marked.
function openLinkedSource() {
  const path = location.pathname.match(/^\/sources\/([^/]+)$/);
  const range = location.hash.match(/^#(\d+)-(\d+)$/);
  if (!path) return;
  const [start, end] = range ? [Number(range[1]), Number(range[2])] : [0, 0];
  showSource({ source: decodeURIComponent(path[1]), start, end });
}

async function showSource(p) {
  const view = document.getElementById("source-view");
  const response = await fetch(`/api/sources/${encodeURIComponent(p.source)}`);
  const data = await response.json();
  if (!response.ok) return;
  document.getElementById("source-title").textContent = data.title || data.id;
  document.getElementById("source-meta").textContent =
    [data.date, data.publisher, `source ${data.id}`].filter(Boolean).join(" · ");
  const text = document.getElementById("source-text");
  text.replaceChildren(
    document.createTextNode(data.text.slice(0, p.start)),
    el("mark", "", data.text.slice(p.start, p.end)),
    document.createTextNode(data.text.slice(p.end)),
  );
  view.hidden = false;
  text.querySelector("mark").scrollIntoView({ block: "center" });
  text.focus();
}

async function ask(event) {
  event.preventDefault();
  const input = document.getElementById("question");
  const submit = document.querySelector("#ask-form button[type=submit]");
  const question = input.value.trim();
  if (!question) return;
  addTurn("user", el("div", "", question));
  input.value = "";
  submit.disabled = true;
  try {
    const headers = { "Content-Type": "application/json" };
    const keyInput = document.getElementById("api-key");
    if (keyInput.value) sessionStorage.setItem(KEY_STORE, keyInput.value);
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) headers.Authorization = `Bearer ${key}`;
    const response = await fetch("/api/ask", {
      method: "POST",
      headers,
      body: JSON.stringify({ question, history: history.slice(-20) }),
    });
    const data = await response.json();
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORE);
      document.getElementById("key-row").hidden = false;
      input.value = question;
      throw new Error(key ? "that API key is not the service's; enter it again and ask again."
        : "this service needs its API key: enter it below and ask again.");
    }
    if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
    renderAnswer(data);
    history.push({ role: "user", content: question },
                 { role: "assistant", content: data.answer || "" });
  } catch (error) {
    addTurn("error", el("div", "", `Something went wrong: ${error.message}`));
  } finally {
    submit.disabled = false;
    input.focus();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (location.pathname === "/timeline") showTimeline();
  else document.getElementById("nav-chat").setAttribute("aria-current", "page");
  openLinkedSource();
  document.getElementById("ask-form").addEventListener("submit", ask);
  document.getElementById("close-source").addEventListener("click", () => {
    document.getElementById("source-view").hidden = true;
  });
  document.getElementById("new-conversation").addEventListener("click", () => {
    history.length = 0;
    document.getElementById("transcript").replaceChildren();
  });
});
