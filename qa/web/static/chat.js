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
  const list = el("ol");
  data.passages.forEach((p) => {
    const item = el("li");
    const button = el("button", "citation");
    button.type = "button";
    button.appendChild(el("span", "quote", p.text));
    button.appendChild(el("span", "where", citationLabel(p)));
    button.addEventListener("click", () => showSource(p));
    item.appendChild(button);
    list.appendChild(item);
  });
  box.appendChild(list);
  addTurn("assistant", box);
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
