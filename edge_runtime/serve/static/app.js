// digits-serve page: draw, upload and watch live. Plain JS, no build step, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);

function percent(p) {
  return (100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1) + "%";
}

async function callApi(path, options) {
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...options });
  } catch (e) {
    throw new Error("server unreachable");
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch (e) {
    payload = null;
  }
  if (response.status === 401) {
    showBanner("This server needs a token: open this page as /?token=YOUR_TOKEN once.");
  }
  if (!response.ok) {
    const error = new Error((payload && payload.error) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return payload;
}

function showBanner(text) {
  const banner = $("banner");
  banner.textContent = text;
  banner.hidden = false;
}

// ---- model info --------------------------------------------------------------------------

async function loadModelInfo() {
  try {
    const info = await callApi("/api/model");
    const name = info.model_file.split(/[\\/]/).pop();
    const accuracy = info.accuracy == null ? "accuracy not recorded"
      : `${(100 * info.accuracy).toFixed(2)}% on MNIST test`;
    $("model-info").textContent =
      `${name} · ${info.input.dtype} input ${info.input.shape.join("×")} · ${info.backend} · ${accuracy}`;
  } catch (e) {
    $("model-info").textContent = `model info unavailable: ${e.message}`;
  }
}

// ---- drawing pad -------------------------------------------------------------------------

const pad = {
  canvas: null,
  context: null,
  strokes: [],
  current: null,
  sequence: 0,
  inFlight: false,
  lastSent: 0,
  pending: false,
};

function setupBars() {
  const bars = $("bars");
  for (let digit = 0; digit < 10; digit++) {
    const item = document.createElement("li");
    item.innerHTML = `<span class="label">${digit}</span><span class="track"><span class="fill"></span></span><span class="value">–</span>`;
    bars.appendChild(item);
  }
}

function showProbabilities(probabilities, best) {
  const items = $("bars").children;
  for (let digit = 0; digit < 10; digit++) {
    const p = probabilities && probabilities.length === 10 ? probabilities[digit] : 0;
    items[digit].querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    items[digit].querySelector(".value").textContent = probabilities && probabilities.length ? percent(p) : "–";
    items[digit].classList.toggle("best", digit === best);
  }
}

function redraw() {
  const { context, canvas } = pad;
  context.fillStyle = "#000";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.strokeStyle = "#fff";
  context.fillStyle = "#fff";
  context.lineCap = "round";
  context.lineJoin = "round";
  for (const stroke of pad.strokes) {
    drawStroke(stroke);
  }
}

function drawStroke(stroke) {
  const { context } = pad;
  const points = stroke.points;
  context.lineWidth = stroke.size;
  if (points.length === 1) {
    context.beginPath();
    context.arc(points[0][0], points[0][1], stroke.size / 2, 0, 2 * Math.PI);
    context.fill();
    return;
  }
  context.beginPath();
  context.moveTo(points[0][0], points[0][1]);
  for (const [x, y] of points.slice(1)) {
    context.lineTo(x, y);
  }
  context.stroke();
}

function padPoint(event) {
  const rect = pad.canvas.getBoundingClientRect();
  return [
    ((event.clientX - rect.left) * pad.canvas.width) / rect.width,
    ((event.clientY - rect.top) * pad.canvas.height) / rect.height,
  ];
}

function resetAnswer(text) {
  $("draw-digit").textContent = "–";
  $("draw-confidence").textContent = text;
  showProbabilities(null, -1);
  $("model-input").removeAttribute("src");
}

async function classifyPad() {
  if (!pad.strokes.length) {
    resetAnswer("draw with mouse, pen or finger");
    return;
  }
  if (pad.inFlight) {
    pad.pending = true;
    return;
  }
  pad.inFlight = true;
  pad.pending = false;
  pad.lastSent = performance.now();
  const sequence = ++pad.sequence;
  try {
    const blob = await new Promise((resolve) => pad.canvas.toBlob(resolve, "image/png"));
    const answer = await callApi("/api/classify?debug=1", {
      method: "POST",
      headers: { "Content-Type": "image/png" },
      body: blob,
    });
    if (sequence === pad.sequence && pad.strokes.length) {
      $("draw-digit").textContent = answer.digit == null ? "–" : String(answer.digit);
      $("draw-confidence").textContent = answer.digit == null
        ? answer.reason || "no digit"
        : `${percent(answer.confidence)} sure · ${answer.inference_ms.toFixed(2)} ms inference`;
      showProbabilities(answer.probabilities, answer.digit);
      if (answer.model_input) {
        $("model-input").src = answer.model_input;
      } else {
        $("model-input").removeAttribute("src");
      }
      $("draw-panel").dataset.prediction = answer.digit == null ? "" : String(answer.digit);
    }
  } catch (e) {
    $("draw-confidence").textContent = `error: ${e.message}`;
  } finally {
    pad.inFlight = false;
    if (pad.pending) {
      classifyPad();
    }
  }
}

function setupPad() {
  pad.canvas = $("pad");
  pad.context = pad.canvas.getContext("2d");
  redraw();
  const canvas = pad.canvas;
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    pad.current = { size: Number($("brush").value), points: [padPoint(event)] };
    $("draw-panel").dataset.pointer = event.pointerType;  // mouse, pen or touch
    pad.strokes.push(pad.current);
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!pad.current) {
      return;
    }
    event.preventDefault();
    pad.current.points.push(padPoint(event));
    redraw();
    if (performance.now() - pad.lastSent > 200) {
      classifyPad();  // as you draw, a few times a second
    }
  });
  const finish = () => {
    if (pad.current) {
      pad.current = null;
      classifyPad();
    }
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  $("undo").addEventListener("click", () => {
    pad.strokes.pop();
    redraw();
    pad.sequence++;
    classifyPad();
  });
  $("clear").addEventListener("click", () => {
    pad.strokes = [];
    redraw();
    pad.sequence++;
    delete $("draw-panel").dataset.prediction;
    resetAnswer("draw with mouse, pen or finger");
  });
}

// ---- uploads -----------------------------------------------------------------------------

function uploadItem(file) {
  const item = document.createElement("li");
  item.className = "upload pending";
  const thumb = document.createElement("img");
  thumb.className = "thumb";
  thumb.alt = file.name;
  thumb.src = URL.createObjectURL(file);
  const text = document.createElement("div");
  text.className = "upload-text";
  const name = document.createElement("div");
  name.className = "name";
  name.textContent = file.name;
  const reading = document.createElement("div");
  reading.className = "reading";
  reading.textContent = "reading…";
  const detail = document.createElement("div");
  detail.className = "detail muted";
  const debug = document.createElement("div");
  debug.className = "debug";
  text.append(name, reading, detail);
  item.append(thumb, text, debug);
  return { item, reading, detail, debug };
}

function showDebug(view, answer) {
  view.debug.replaceChildren();
  const images = answer.debug_view ? [answer.debug_view]
    : answer.model_input ? [answer.model_input] : [];
  for (const source of images) {
    const image = document.createElement("img");
    image.src = source;
    image.alt = "what the model saw";
    image.className = answer.debug_view ? "debug-view" : "pixels small";
    view.debug.appendChild(image);
  }
}

async function readFile(file, numberMode) {
  const view = uploadItem(file);
  $("uploads").prepend(view.item);
  const path = numberMode ? "/api/read-number?debug=1" : "/api/classify?debug=1";
  try {
    const answer = await callApi(path, {
      method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream" },
      body: file,
    });
    const text = numberMode ? answer.number : answer.digit == null ? null : String(answer.digit);
    view.reading.textContent = text == null ? "no digit" : text;
    view.item.dataset.reading = text == null ? "" : text;
    view.detail.textContent = text == null
      ? answer.reason || ""
      : `${percent(answer.confidence)} sure` +
        (numberMode ? ` · ${answer.digits.length} digit${answer.digits.length === 1 ? "" : "s"}` : "");
    showDebug(view, answer);
    view.item.className = "upload " + (text == null ? "empty" : "ok");
  } catch (e) {
    view.reading.textContent = "error";
    view.detail.textContent = e.message;
    view.item.dataset.reading = "";
    view.item.className = "upload failed";
  }
}

async function readFiles(files) {
  const numberMode = $("number-mode").checked;
  for (const file of files) {
    await readFile(file, numberMode);  // one at a time: a Pi has little to spare
  }
}

function setupUploads() {
  $("files").addEventListener("change", (event) => {
    readFiles(Array.from(event.target.files));
    event.target.value = "";
  });
  const drop = $("drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    readFiles(Array.from(event.dataTransfer.files));
  });
  const debugToggle = () => document.body.classList.toggle("debug-on", $("debug-mode").checked);
  $("debug-mode").addEventListener("change", debugToggle);
  debugToggle();
  $("clear-uploads").addEventListener("click", () => $("uploads").replaceChildren());
}

// ---- live panel --------------------------------------------------------------------------

const live = { timer: null, streamRetry: null };

function startStream() {
  const view = $("live-view");
  view.src = `/stream.mjpg?t=${Date.now()}`;
}

function showLatest(latest) {
  const badge = $("live-status");
  badge.textContent = latest.status === "lost" ? "camera lost" : latest.status;
  badge.className = `badge ${latest.status}`;
  $("live-panel").dataset.status = latest.status;
  const reading = latest.reading;
  const number = reading && reading.number;
  $("live-reading").textContent = number || (reading ? "no digit" : "–");
  $("live-confidence").textContent = number ? percent(reading.confidence) : (reading && reading.reason) || "–";
  $("live-fps").textContent = latest.fps.toFixed(1);
  $("live-ms").textContent = `${latest.process_ms.toFixed(1)} ms`;
  $("live-frames").textContent = String(latest.frame);
  $("live-source").textContent = latest.source;
  const error = $("live-error");
  error.hidden = !latest.error;
  error.textContent = latest.error ? `camera lost: ${latest.error} (retrying; drawing and uploads still work)` : "";
}

async function pollLatest(first) {
  try {
    const latest = await callApi("/api/latest");
    if (first) {
      $("live-panel").hidden = false;
      startStream();
    }
    showLatest(latest);
  } catch (e) {
    if (first && e.status === 404) {
      return;  // no camera or video: no live panel
    }
    $("live-status").textContent = "server unreachable";
    $("live-status").className = "badge lost";
  }
  live.timer = setTimeout(() => pollLatest(false), 300);
}

function setupLive() {
  $("live-view").addEventListener("error", () => {
    clearTimeout(live.streamRetry);
    live.streamRetry = setTimeout(startStream, 2000);
  });
  pollLatest(true);
}

document.addEventListener("DOMContentLoaded", () => {
  setupBars();
  setupPad();
  setupUploads();
  setupLive();
  loadModelInfo();
});
