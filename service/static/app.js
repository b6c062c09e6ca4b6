// The page at GET /: sends the form to POST /analyze and renders the Analysis it gets back.
// All text from the service goes into the page through textContent, never as HTML.
"use strict";

const ALL_MODES = ["polarity", "fine_grained", "aspect", "emotion", "intent"];
const MODE_TITLES = {
  polarity: "polarity", fine_grained: "stars", aspect: "aspects", emotion: "emotions", intent: "intent",
};
const KEY_STORAGE = "sentiment.apiKey";

const $ = (id) => document.getElementById(id);

function headers() {
  const result = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) {
    result["Authorization"] = "Bearer " + key;
    sessionStorage.setItem(KEY_STORAGE, key);
  }
  return result;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (response.status === 401) $("key-box").open = true;
    return `${response.status}: ${body.message || JSON.stringify(body)}`;
  } catch (_) {
    return `${response.status} ${response.statusText}`;
  }
}

let analyzers = {};

function renderModeChoices() {
  const supported = (analyzers[$("analyzer").value] || { modes: ALL_MODES }).modes;
  const previous = new Set(Array.from(document.querySelectorAll("#modes input:checked"), (box) => box.value));
  const fieldset = $("modes");
  fieldset.querySelectorAll("label").forEach((label) => label.remove());
  for (const mode of ALL_MODES) {
    if (!supported.includes(mode)) continue;
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = mode;
    box.id = "mode-" + mode;
    box.checked = previous.size === 0 || previous.has(mode);
    label.append(box, " " + MODE_TITLES[mode]);
    fieldset.append(label);
  }
}

async function loadAnalyzers() {
  try {
    const response = await fetch("/analyzers", { headers: headers() });
    if (!response.ok) {
      showError(await errorMessage(response));
      renderModeChoices();
      return;
    }
    const body = await response.json();
    analyzers = Object.fromEntries(body.analyzers.map((a) => [a.name, a]));
    const select = $("analyzer");
    select.replaceChildren();
    for (const analyzer of body.analyzers) {
      const option = document.createElement("option");
      option.value = analyzer.name;
      option.textContent = analyzer.name;
      option.title = analyzer.description;
      option.selected = analyzer.name === body.default;
      select.append(option);
    }
    showError("");
  } catch (error) {
    showError("Cannot reach the service: " + error);
  }
  renderModeChoices();
}

// Offsets from the service count Unicode code points; JavaScript strings count UTF-16 units.
function highlight(text, explanation) {
  const chars = Array.from(text);
  const target = $("highlighted");
  target.replaceChildren();
  const tokens = (explanation || []).filter((t) => t.weight !== 0).sort((a, b) => a.start - b.start);
  const strongest = Math.max(1e-9, ...tokens.map((t) => Math.abs(t.weight)));
  let position = 0;
  for (const token of tokens) {
    if (token.start < position || token.end > chars.length) continue; // overlapping or out of range
    target.append(chars.slice(position, token.start).join(""));
    const mark = document.createElement("mark");
    mark.className = "token " + (token.weight > 0 ? "positive" : "negative");
    mark.textContent = chars.slice(token.start, token.end).join("");
    mark.title = `weight ${token.weight.toFixed(3)}`;
    mark.dataset.weight = String(token.weight);
    mark.style.setProperty("--strength", (Math.abs(token.weight) / strongest).toFixed(3));
    target.append(mark);
    position = token.end;
  }
  target.append(chars.slice(position).join(""));
}

function bars(container, scores, selected) {
  container.replaceChildren();
  const entries = Object.entries(scores).sort((a, b) => b[1] - a[1]);
  for (const [name, value] of entries) {
    const label = document.createElement("span");
    label.className = "bar-label" + (selected.includes(name) ? " selected" : "");
    label.textContent = name.replaceAll("_", " ");
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;
    bar.append(fill);
    const number = document.createElement("span");
    number.className = "bar-value";
    number.textContent = value.toFixed(2);
    container.append(label, bar, number);
  }
}

function render(analysis) {
  $("result").hidden = false;

  $("polarity-card").hidden = !analysis.polarity;
  if (analysis.polarity) {
    const label = $("polarity-label");
    label.textContent = analysis.polarity.label;
    label.className = "badge " + analysis.polarity.label;
    $("polarity-score").textContent = `score ${analysis.polarity.score.toFixed(3)}`;
    highlight(analysis.text, analysis.explanation);
  }

  $("stars-card").hidden = !analysis.fine_grained;
  if (analysis.fine_grained) {
    const stars = analysis.fine_grained.stars;
    $("stars").textContent = "★".repeat(stars) + "☆".repeat(5 - stars);
    $("stars").title = `${stars} of 5`;
    $("stars-label").textContent =
      `${analysis.fine_grained.label.replaceAll("_", " ")} (expected ${analysis.fine_grained.score.toFixed(2)})`;
  }

  $("aspects-card").hidden = !analysis.aspects;
  if (analysis.aspects) {
    const chips = $("aspects");
    chips.replaceChildren();
    if (analysis.aspects.length === 0) chips.textContent = "No aspects found.";
    for (const aspect of analysis.aspects) {
      const chip = document.createElement("span");
      chip.className = "chip " + aspect.polarity;
      chip.dataset.polarity = aspect.polarity;
      const detail = document.createElement("small");
      detail.textContent = ` ${aspect.category} · ${aspect.polarity}`;
      chip.append(aspect.term, detail);
      chip.title = aspect.evidence.length ? "because of: " + aspect.evidence.join(", ") : "";
      chips.append(chip);
    }
  }

  $("emotion-card").hidden = !analysis.emotion;
  if (analysis.emotion) bars($("emotions"), analysis.emotion.scores, analysis.emotion.labels);

  $("intent-card").hidden = !analysis.intent;
  if (analysis.intent) {
    $("intent-label").textContent = analysis.intent.label.replaceAll("_", " ");
    $("intent-confidence").textContent = `confidence ${analysis.intent.confidence.toFixed(2)}`;
    bars($("intents"), analysis.intent.scores, [analysis.intent.label]);
  }
}

async function analyze(event) {
  event.preventDefault();
  const modes = Array.from(document.querySelectorAll("#modes input:checked"), (box) => box.value);
  if (modes.length === 0) {
    showError("Pick at least one mode.");
    return;
  }
  const button = $("analyze-button");
  button.disabled = true;
  try {
    const response = await fetch("/analyze", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({
        text: $("text").value,
        analyzer: $("analyzer").value,
        modes,
        explanations: $("explanations").checked,
      }),
    });
    if (!response.ok) {
      showError(await errorMessage(response));
      return;
    }
    showError("");
    render(await response.json());
  } catch (error) {
    showError("Request failed: " + error);
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = sessionStorage.getItem(KEY_STORAGE) || "";
  $("analyzer").addEventListener("change", renderModeChoices);
  $("api-key").addEventListener("change", loadAnalyzers);
  $("analyze-form").addEventListener("submit", analyze);
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("analyze-form").requestSubmit();
  });
  loadAnalyzers();
});
