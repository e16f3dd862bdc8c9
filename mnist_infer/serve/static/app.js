// mnist-infer serve: draw a digit, send the pad as a PNG to POST api/predict, show every network's answer and the
// chosen network layer by layer, as api/info describes it. Plain JavaScript, no framework, no build step.
// document.body.dataset.state is "idle" once the answer shown is the answer for what the pad holds (tests and
// scripts wait for it). Every text is a message, shown in the language of api/messages.
"use strict";

(() => {
  // Of the pad's side: with a digit about 2/3 of the pad tall, this gives the 28×28 input the ink of an MNIST
  // digit (mean intensity within 2% of the test set's, measured with tests/strokes.py).
  const INK_WIDTH = 0.1;
  const MAX_UPLOAD = 10 * 1024 * 1024; // the server refuses larger bodies
  const PALETTE = [[11, 16, 32], [59, 42, 122], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const LANGUAGE_NAMES = { en: "English", ko: "한국어" }; // each in its own language
  const MAPS_PER_ROW = 8; // as ch07's visualize_filter.py draws filters
  const GAP = [207, 212, 220]; // between the maps of a layer
  const FOR = [220, 38, 38]; // saliency: ink that argued for the answer (red)
  const AGAINST = [37, 99, 235]; // ink that argued for the runner-up (blue)

  const $ = (id) => document.getElementById(id);
  const pad = $("pad");
  const ink = pad.getContext("2d");
  const photo = $("source-photo");
  const dropZone = $("drop-zone");
  const digitIndex = $("digit-index");

  const strokes = []; // each a list of [x, y] in pad pixels
  let current = null; // the stroke being drawn: {id, points}
  let version = 0; // bumped by every change of the pad
  let answered = 0; // the version whose answer (or blank) is shown
  let inFlight = false;
  let epoch = 0; // bumped by Clear, a photo, a test digit or another network: older answers are dropped
  let busyOther = 0; // photo or test-digit requests under way
  let testCount = 0;
  let answersShown = 0; // answers, blanks and problems shown so far (for tests: "has the page answered yet?")
  let subject = { kind: "pad" }; // what the answer is about: the pad, {kind: "photo", file}, {kind: "digit", index}

  let info = null; // api/info
  let selected = null; // the id of the network shown in detail
  let shownAnswer = null; // the answer shown, or null (a blank or a problem)
  let unit = null; // the unit (or map) clicked last, shown in the unit panel: {layer, index}
  let language = "en";
  let messages = null; // message -> translation, from api/messages
  const missing = new Set(); // messages the server did not list (for tests: every text is a message)

  // ---- the page's language ----------------------------------------------------------------------------------
  // The message in the page's language, its {fields} filled in: translate("{count} test digits", {count: 5}).
  function translate(message, fields = {}) {
    if (messages && !(message in messages)) missing.add(message);
    const text = (messages && messages[message]) || message;
    return text.replace(/\{(\w+)\}/g, (whole, key) => (key in fields ? String(fields[key]) : whole));
  }

  // t is called with the message itself, a string literal: a test finds each in PAGE_MESSAGES (serve/page.py).
  const t = translate;

  const originals = new Map(); // element -> its English text and attributes, the messages
  function translateStatic() {
    for (const element of document.querySelectorAll("[data-t], [data-t-attrs]")) {
      if (!originals.has(element)) {
        const attributes = (element.dataset.tAttrs || "").split(" ").filter(Boolean);
        const text = "t" in element.dataset ? element.textContent.replace(/\s+/g, " ").trim() : null;
        originals.set(element, { text, attributes: attributes.map((name) => [name, element.getAttribute(name)]) });
      }
      const { text, attributes } = originals.get(element);
      if (text !== null) element.textContent = translate(text);
      for (const [name, value] of attributes) element.setAttribute(name, translate(value));
    }
  }

  function stored(key) {
    try {
      return localStorage.getItem(`mnist-infer.${key}`);
    } catch {
      return null; // storage refused (a private window, a locked-down browser)
    }
  }

  function store(key, value) {
    try {
      localStorage.setItem(`mnist-infer.${key}`, value);
    } catch {
      // not remembered, still used
    }
  }

  // The language remembered from the switch, else the browser's first one the page speaks, else English.
  function pickLanguage(available) {
    const wanted = stored("language") ? [stored("language")] : navigator.languages || [navigator.language];
    for (const tag of wanted) {
      const code = String(tag).split("-")[0].toLowerCase();
      if (available.includes(code)) return code;
    }
    return "en";
  }

  async function useLanguage(code) {
    messages = await ask(`api/messages?lang=${encodeURIComponent(code)}`);
    language = code;
    document.documentElement.lang = code;
    translateStatic();
    for (const button of $("languages").children) button.setAttribute("aria-pressed", String(button.lang === code));
  }

  function buildLanguageSwitch(available) {
    const group = $("languages");
    group.replaceChildren();
    for (const code of available) {
      const button = document.createElement("button");
      button.type = "button";
      button.lang = code;
      button.textContent = LANGUAGE_NAMES[code] || code;
      button.addEventListener("click", () => {
        store("language", code);
        other(async () => {
          await useLanguage(code);
          render();
        });
      });
      group.append(button);
    }
  }

  // ---- the pad ----------------------------------------------------------------------------------------------
  function paper() {
    ink.fillStyle = "#fff";
    ink.fillRect(0, 0, pad.width, pad.height);
  }

  // A smooth line through the points: quadratic curves from midpoint to midpoint, so that a mouse reporting a
  // few points per stroke still draws a round digit.
  function drawStroke(points) {
    ink.strokeStyle = ink.fillStyle = "#000";
    ink.lineWidth = pad.width * INK_WIDTH;
    ink.lineCap = ink.lineJoin = "round";
    ink.beginPath();
    if (points.length === 1) {
      ink.arc(points[0][0], points[0][1], ink.lineWidth / 2, 0, 2 * Math.PI);
      ink.fill();
      return;
    }
    ink.moveTo(points[0][0], points[0][1]);
    for (let i = 1; i < points.length - 1; i++) {
      const [x, y] = points[i];
      const [nx, ny] = points[i + 1];
      ink.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
    }
    const [lx, ly] = points[points.length - 1];
    ink.lineTo(lx, ly);
    ink.stroke();
  }

  function redraw() {
    paper();
    for (const points of strokes) drawStroke(points);
  }

  function padPoint(event) {
    const box = pad.getBoundingClientRect();
    const x = (event.clientX - box.left - pad.clientLeft) * (pad.width / pad.clientWidth);
    const y = (event.clientY - box.top - pad.clientTop) * (pad.height / pad.clientHeight);
    return [x, y];
  }

  pad.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    pad.setPointerCapture(event.pointerId);
    if (!photo.hidden) backToDrawing();
    current = { id: event.pointerId, points: [padPoint(event)] };
    strokes.push(current.points);
    drawStroke(current.points);
    changed();
  });

  pad.addEventListener("pointermove", (event) => {
    if (!current || event.pointerId !== current.id) return;
    const coalesced = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const each of coalesced.length ? coalesced : [event]) current.points.push(padPoint(each));
    redraw(); // the whole pad: a few hundred points, and the curve's last piece changes with each new point
    changed();
  });

  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    pad.addEventListener(type, (event) => {
      if (current && event.pointerId === current.id) current = null; // the pad is as the last move left it
    });
  }

  function clearPad() {
    strokes.length = 0;
    current = null;
    epoch++;
    backToDrawing();
    redraw();
    changed();
  }

  function undo() {
    if (!photo.hidden) return clearPad();
    strokes.pop();
    current = null;
    redraw();
    changed();
  }

  function backToDrawing() {
    photo.hidden = true;
    subject = { kind: "pad" };
    showSource(null);
  }

  function showSource(src, alt = "", pixels = false) {
    if (photo.src.startsWith("blob:")) URL.revokeObjectURL(photo.src);
    if (src === null) return photo.removeAttribute("src");
    photo.src = src;
    photo.alt = alt;
    photo.classList.toggle("pixels", pixels);
    photo.hidden = false;
  }

  $("clear").addEventListener("click", clearPad);
  $("undo").addEventListener("click", undo);
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    if (typing) return;
    if (event.key === "Backspace" || event.key === "Delete") {
      event.preventDefault();
      clearPad();
    } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      undo();
    }
  });

  // ---- asking the server ------------------------------------------------------------------------------------
  function changed() {
    version++;
    schedule();
  }

  function settle() {
    const idle = !inFlight && answered === version && busyOther === 0;
    document.body.dataset.state = idle ? "idle" : "busy";
    document.body.dataset.answered = String(answersShown);
    document.body.dataset.missing = [...missing].join("\n");
  }

  // One request at a time for the pad; when it returns, the next one sends whatever the pad holds by then.
  function schedule() {
    if (inFlight || answered === version) return settle();
    const wanted = version;
    if (strokes.length === 0) {
      answered = wanted;
      if (photo.hidden) showBlank();
      return settle();
    }
    inFlight = true;
    settle();
    send(padPng(), wanted, epoch);
  }

  async function send(png, wanted, myEpoch) {
    try {
      const body = { method: "POST", body: png, headers: { "Content-Type": "image/png" } };
      const answer = await ask(`api/predict?${query()}`, body);
      if (myEpoch === epoch && strokes.length) show(answer, t("Your drawing reads as"));
    } catch (error) {
      if (myEpoch === epoch && strokes.length) showProblem(error.message);
    } finally {
      inFlight = false;
      answered = wanted;
      schedule();
    }
  }

  // The pad as PNG bytes, now. (Chrome's canvas.toBlob encodes in idle time, which a page being drawn on may not
  // have for a second or more; a 280×280 PNG encodes synchronously in about a millisecond.)
  function padPng() {
    const base64 = pad.toDataURL("image/png").split(",", 2)[1];
    return new Blob([bytesOf(base64)], { type: "image/png" });
  }

  function bytesOf(base64) {
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }

  function query() {
    const network = selected === null ? "" : `network=${encodeURIComponent(selected)}&`;
    return `${network}lang=${language}`;
  }

  async function ask(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch {
      throw new Error(t("The server does not answer: is mnist-infer serve still running?"));
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || t("The server answered {status}.", { status: response.status }));
    return body;
  }

  async function other(task) {
    busyOther++;
    settle();
    try {
      await task();
    } finally {
      busyOther--;
      settle();
    }
  }

  // The current picture again (in another network, or another language): the pad, the photo or the test digit.
  function refresh() {
    epoch++;
    if (subject.kind === "photo") usePhoto(subject.file);
    else if (subject.kind === "digit") showTestDigit(subject.index);
    else changed();
  }

  // ---- the networks' answers --------------------------------------------------------------------------------
  const bars = $("probabilities");
  for (let digit = 0; digit < 10; digit++) {
    const item = document.createElement("li");
    item.dataset.digit = String(digit);
    item.dataset.p = "";
    item.innerHTML =
      `<span class="digit">${digit}</span><span class="track" aria-hidden="true"><span class="fill"></span></span>` +
      `<span class="value">–</span><span class="mark"></span>`;
    bars.append(item);
  }

  function network(id = selected) {
    return info.networks.find((each) => each.id === id);
  }

  function describeWeights(weights) {
    return weights.chapter
      ? t("chapter {chapter}: {architecture}", { chapter: weights.chapter, architecture: weights.architecture })
      : weights.architecture;
  }

  function buildNetworks() {
    const group = $("networks");
    group.replaceChildren();
    for (const each of info.networks) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.network = each.id;
      button.setAttribute("aria-pressed", String(each.id === selected));
      for (const [name, text] of [["name", each.id], ["what", describeWeights(each.weights)], ["answer", "–"]]) {
        const part = document.createElement("span");
        part.className = `network-${name}`;
        part.textContent = text;
        button.append(part);
      }
      button.addEventListener("click", () => choose(each.id));
      group.append(button);
    }
    group.hidden = info.networks.length < 2;
  }

  function choose(id) {
    if (id === selected) return;
    selected = id;
    unit = null;
    store("network", id);
    for (const button of $("networks").children) {
      button.setAttribute("aria-pressed", String(button.dataset.network === id));
    }
    buildInside();
    refresh();
  }

  function show(answer, about) {
    answersShown++;
    const probabilities = answer.probabilities;
    const top = answer.prediction;
    const label = answer.label;
    $("prediction").textContent = String(top);
    $("confidence").textContent = t("softmax {percent}", { percent: percent(probabilities[top]) });
    $("inline-answer").textContent = answer.sure ? `→ ${top}` : `→ ${top}?`;
    // Below the threshold the digit is a guess, as predict says: "not sure: perhaps 4 (62.3%, below 90%)".
    $("prediction").classList.toggle("unsure", !answer.sure);
    $("not-sure").hidden = answer.sure;
    $("not-sure").textContent = answer.sure
      ? ""
      : t("Not sure: perhaps {digit} ({percent}, below {threshold})", {
        digit: top, percent: percent(probabilities[top]), threshold: info ? percent(info.not_sure_below) : "–",
      });
    $("subject").textContent = about;
    setStatus("");
    for (const item of bars.children) {
      const digit = Number(item.dataset.digit);
      const p = probabilities[digit];
      item.dataset.p = String(p);
      item.classList.toggle("top", digit === top);
      item.classList.toggle("truth", digit === label); // the true digit of a test image, marked
      item.querySelector(".mark").textContent = digit === label ? t("true label") : "";
      item.querySelector(".fill").style.width = `${(100 * p).toFixed(2)}%`;
      item.querySelector(".value").textContent = percent(p);
    }
    for (const each of answer.answers) {
      const button = $("networks").querySelector(`[data-network="${CSS.escape(each.network)}"]`);
      if (!button) continue;
      const verdict = label === null ? "" : each.prediction === label ? " ✓" : " ✗";
      button.querySelector(".network-answer").textContent =
        `${each.prediction} · ${percent(each.probabilities[each.prediction])}${verdict}`;
      button.classList.toggle("wrong", label !== null && each.prediction !== label);
      button.classList.toggle("unsure", !each.sure);
    }
    shownAnswer = answer;
    paintInput();
    showUnit();
    if (answer.network !== selected) return; // an answer from before a switch: its layers are not these
    for (const [name, values] of Object.entries(answer.activations)) paintLayer(name, values);
    for (const [name, maps] of Object.entries(answer.maps)) paintMaps(name, maps);
  }

  function showBlank(message = null) {
    answersShown++;
    $("prediction").textContent = "";
    $("confidence").textContent = "";
    $("inline-answer").textContent = "";
    $("prediction").classList.remove("unsure");
    $("not-sure").hidden = true;
    $("subject").textContent = message || t("Draw a digit on the pad.");
    for (const item of bars.children) {
      item.dataset.p = "";
      item.classList.remove("top", "truth");
      item.querySelector(".mark").textContent = "";
      item.querySelector(".fill").style.width = "0";
      item.querySelector(".value").textContent = "–";
    }
    for (const button of $("networks").children) {
      button.querySelector(".network-answer").textContent = "–";
      button.classList.remove("wrong", "unsure");
    }
    shownAnswer = null;
    paintInput();
    showUnit();
    for (const name of Object.keys(layers)) paintLayer(name, null);
    for (const name of Object.keys(mapLayers)) paintMaps(name, null);
  }

  function showProblem(message) {
    showBlank(t("No answer for this picture."));
    setStatus(message.replace(/^upload: /, ""), true);
  }

  function setStatus(text, isError = false) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function percent(p) {
    return p < 0.0005 ? "0%" : `${(100 * p).toFixed(1)}%`;
  }

  function number(v) {
    return Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(2) : String(+v.toPrecision(3));
  }

  // The 28×28 input the network saw; with the toggle on, which pixels decided over it (explain --why): red where
  // ink argued for the answer, blue where it argued for the runner-up, the stronger the more it did.
  function paintInput() {
    const answer = shownAnswer;
    const saliency = answer && answer.saliency && $("saliency-toggle").checked ? answer.saliency.flat() : null;
    const scale = saliency ? Math.max(...saliency.map(Math.abs)) || 1 : 1;
    const view = $("input28").getContext("2d");
    const image = view.createImageData(28, 28);
    for (let i = 0; i < 28 * 28; i++) {
      const v = answer ? answer.input[Math.floor(i / 28)][i % 28] : 0;
      if (!saliency) {
        image.data.set([v, v, v, 255], 4 * i);
        continue;
      }
      const s = saliency[i] / scale;
      const f = Math.sqrt(Math.abs(s)); // faint arguments still show
      image.data.set([...(s > 0 ? FOR : AGAINST).map((c) => Math.round(0.4 * v + (c - 0.4 * v) * f)), 255], 4 * i);
    }
    view.putImageData(image, 0, 0);
    const legend = $("saliency-legend");
    legend.hidden = !saliency;
    legend.textContent = saliency
      ? t("Why {top} and not {other}: red pixels pushed the answer towards {top}, blue ones towards {other}.", {
        top: answer.prediction, other: answer.versus,
      })
      : "";
  }

  $("saliency-toggle").addEventListener("change", paintInput);

  // ---- inside the chosen network: built from its steps in api/info ------------------------------------------
  let layers = {}; // dense layer name -> list of cells
  let mapLayers = {}; // convolution layer name -> its canvas

  // Each step's formula, as the book writes it: a1 = x·W1 + b1, z1 = sigmoid(a1), p1 = max_pool(z2)…
  function formulas(steps) {
    const formula = {};
    let input = "x";
    for (const step of steps) {
      const k = step.name.slice(1);
      formula[step.name] =
        {
          affine: `${input}·W${k} + b${k}`,
          conv: `conv(${input}, W${k}) + b${k}`,
          pool: `max_pool(${input})`,
          flatten: `flatten(${input})`,
          batchnorm: `batch_norm(${input})`,
          dropout: `${+(1 - step.ratio).toFixed(4)}·${input}`,
        }[step.type] || `${step.type}(${input})`;
      input = step.name;
    }
    formula.y = `softmax(${input})`;
    return formula;
  }

  function figure(parts) {
    const holder = document.createElement("figure");
    holder.className = "layer";
    holder.append(...parts);
    return holder;
  }

  function caption(name, formula, size, legendClass) {
    const text = document.createElement("figcaption");
    const strong = document.createElement("strong");
    strong.textContent = name;
    const sizeLine = document.createElement("span");
    sizeLine.className = "size";
    sizeLine.textContent = size;
    text.append(strong, formula ? ` = ${formula}` : "", document.createElement("br"), sizeLine);
    if (legendClass) {
      const legend = document.createElement("span");
      legend.className = "legend";
      legend.id = `legend-${name}`;
      legend.innerHTML = `<span class="low">–</span><span class="scale ${legendClass}"></span><span class="high">–</span>`;
      text.append(legend);
    }
    return text;
  }

  function arrow() {
    const span = document.createElement("span");
    span.className = "arrow";
    span.setAttribute("aria-hidden", "true");
    span.textContent = "→";
    return span;
  }

  function buildInside() {
    const net = network();
    const weights = net.weights;
    const book = weights.book ? t("the book's {name}", { name: weights.name }) : weights.name;
    $("weights-info").textContent = t("Weights: {name}, {what}.", { name: book, what: describeWeights(weights) });
    const formula = formulas(net.steps);
    $("chain").textContent = ["x", ...net.steps.map((s) => `${s.name} = ${formula[s.name]}`), `y = ${formula.y}`]
      .join(" → ");
    const holder = $("layers");
    while (holder.children.length > 1) holder.lastChild.remove(); // the input stays
    layers = {};
    mapLayers = {};
    if (net.filters) holder.append(filtersFigure(net.filters));
    const explained = (step, i) => {
      // An activation is drawn with the step before it: z1 = relu(conv(x, W1) + b1).
      const before = net.steps[i - 1];
      return before ? `${step.type}(${formula[before.name]})` : formula[step.name];
    };
    net.steps.forEach((step, i) => {
      if (net.maps.includes(step.name)) holder.append(arrow(), mapsFigure(step, explained(step, i)));
      if (net.layers.includes(step.name)) holder.append(arrow(), denseFigure(step.name, explained(step, i), step.shape[0]));
    });
    holder.append(arrow(), denseFigure("y", formula.y, weights.sizes[weights.sizes.length - 1]));
    showUnit();
  }

  function denseFigure(name, formula, size) {
    const grid = document.createElement("div");
    grid.className = name === "y" ? "grid output" : "grid";
    grid.id = `layer-${name}`;
    grid.setAttribute("role", "img");
    grid.setAttribute("aria-label", `${name}: ${t("{size} neurons", { size })}`);
    grid.style.gridTemplateColumns = `repeat(${Math.max(10, Math.ceil(Math.sqrt(size)))}, 1fr)`;
    layers[name] = [];
    for (let i = 0; i < size; i++) {
      const cell = document.createElement("div");
      cell.className = "cell";
      cell.dataset.index = String(i);
      if (name === "y") cell.textContent = String(i);
      grid.append(cell);
      layers[name].push(cell);
    }
    grid.addEventListener("pointerover", describeCell);
    grid.addEventListener("click", (event) => {
      describeCell(event);
      const cell = event.target.closest(".cell");
      if (cell) chooseUnit(name, Number(cell.dataset.index));
    });
    const sizeText = name === "y" ? t("10 outputs, digits 0–9") : t("{size} neurons", { size });
    return figure([grid, caption(name, formula, sizeText, "colours")]);
  }

  // A layer's maps (or filters) tiled on one canvas, MAPS_PER_ROW a row, one canvas pixel a value.
  function tiles(canvas, shape) {
    const [count, height, width] = shape;
    const columns = Math.min(count, MAPS_PER_ROW);
    canvas.width = columns * (width + 1) - 1;
    canvas.height = Math.ceil(count / columns) * (height + 1) - 1;
    canvas.dataset.shape = shape.join(",");
    return { count, height, width, columns };
  }

  // Paint bytes (maps × height × width, 0–255) as grey, ``reverse`` as matplotlib's gray_r (dark is high).
  function paintTiles(canvas, pixels, reverse = false) {
    const { count, height, width, columns } = tiles(canvas, canvas.dataset.shape.split(",").map(Number));
    const view = canvas.getContext("2d");
    const image = view.createImageData(canvas.width, canvas.height);
    for (let i = 0; i < image.data.length; i += 4) image.data.set([...GAP, 255], i);
    if (pixels) {
      for (let m = 0; m < count; m++) {
        const left = (m % columns) * (width + 1);
        const top = Math.floor(m / columns) * (height + 1);
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const byte = pixels[(m * height + y) * width + x];
            const v = reverse ? 255 - byte : byte;
            image.data.set([v, v, v], 4 * ((top + y) * canvas.width + left + x));
          }
        }
      }
    }
    view.putImageData(image, 0, 0);
  }

  // Which map of a tiled canvas the pointer is over, or -1.
  function tileAt(canvas, event) {
    const [count, height, width] = canvas.dataset.shape.split(",").map(Number);
    const box = canvas.getBoundingClientRect();
    const x = Math.floor(((event.clientX - box.left) / box.width) * canvas.width / (width + 1));
    const y = Math.floor(((event.clientY - box.top) / box.height) * canvas.height / (height + 1));
    const index = y * Math.min(count, MAPS_PER_ROW) + x;
    return x >= 0 && y >= 0 && x < MAPS_PER_ROW && index < count ? index : -1;
  }

  function mapsFigure(step, formula) {
    const [count, height, width] = step.shape;
    const canvas = document.createElement("canvas");
    canvas.className = "maps";
    canvas.id = `maps-${step.name}`;
    const sizeText = t("{count} feature maps of {height}×{width}", { count, height, width });
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `${step.name}: ${sizeText}`);
    tiles(canvas, step.shape);
    mapLayers[step.name] = canvas;
    const describe = (event) => {
      const m = tileAt(canvas, event);
      if (m >= 0 && canvas.pixels) $("cell-value").textContent = mapValues(step.name, m);
    };
    canvas.addEventListener("pointermove", describe);
    canvas.addEventListener("click", (event) => {
      describe(event);
      const m = tileAt(canvas, event);
      if (m >= 0) chooseUnit(step.name, m);
    });
    paintTiles(canvas, null);
    const holder = figure([canvas, caption(step.name, formula, sizeText, "grey")]);
    holder.classList.add("maps-layer");
    return holder;
  }

  // A feature map's values in the answer shown: "z1, map 3: values 0 to 2.41" (empty without an answer).
  function mapValues(name, m) {
    const canvas = mapLayers[name];
    if (!canvas.pixels) return "";
    const [, height, width] = canvas.dataset.shape.split(",").map(Number);
    const bytes = canvas.pixels.subarray(m * height * width, (m + 1) * height * width);
    const [low, high] = [Math.min(...bytes), Math.max(...bytes)].map((b) => canvas.low + (b / 255) * canvas.span);
    return t("{name}, map {index}: values {low} to {high}", { name, index: m, low: number(low), high: number(high) });
  }

  function filtersFigure(filters) {
    const [count, size] = filters.shape;
    const canvas = document.createElement("canvas");
    canvas.className = "maps filters";
    canvas.id = "filters";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", t("The first layer's filters"));
    tiles(canvas, filters.shape);
    paintTiles(canvas, bytesOf(filters.pixels), true);
    const text = document.createElement("figcaption");
    const title = document.createElement("strong");
    title.textContent = t("The first layer's filters");
    const about = t("W1: {count} filters of {size}×{size}, drawn as ch07's visualize_filter.py draws them: each to its own range, dark is a large weight.", { count, size });
    text.append(title, document.createElement("br"), about);
    const holder = figure([canvas, text]);
    holder.classList.add("weights");
    return holder;
  }

  function paintMaps(name, maps) {
    const canvas = mapLayers[name];
    if (!canvas) return;
    canvas.pixels = maps ? bytesOf(maps.pixels) : null;
    canvas.low = maps ? maps.min : 0;
    canvas.span = maps ? maps.max - maps.min : 0;
    paintTiles(canvas, canvas.pixels);
    setLegend(name, maps ? [maps.min, maps.max] : null);
  }

  function setLegend(name, range) {
    const legend = $(`legend-${name}`);
    if (!legend) return;
    legend.querySelector(".low").textContent = range ? number(range[0]) : "–";
    legend.querySelector(".high").textContent = range ? number(range[1]) : "–";
  }

  // A dense layer's squares, coloured from its own lowest value (dark) to its highest (bright).
  function paintLayer(name, values) {
    const cells = layers[name];
    if (!cells) return;
    const low = values ? Math.min(...values) : 0;
    const high = values ? Math.max(...values) : 0;
    cells.forEach((cell, i) => {
      const v = values ? values[i] : null;
      cell.style.background = v === null ? "" : colour(high > low ? (v - low) / (high - low) : 0);
      cell.title = v === null ? `${name}[${i}]` : `${name}[${i}] = ${number(v)}`;
      cell.dataset.value = v === null ? "" : String(v);
    });
    setLegend(name, values ? [low, high] : null);
  }

  function colour(fraction) {
    const position = Math.min(1, Math.max(0, fraction)) * (PALETTE.length - 1);
    const i = Math.min(PALETTE.length - 2, Math.floor(position));
    const f = position - i;
    const mix = PALETTE[i].map((c, k) => Math.round(c + (PALETTE[i + 1][k] - c) * f));
    return `rgb(${mix.join(",")})`;
  }

  function describeCell(event) {
    const cell = event.target.closest(".cell");
    if (!cell) return;
    $("cell-value").textContent = cell.title;
  }

  function chooseUnit(layer, index) {
    unit = { layer, index };
    showUnit();
    $("unit").scrollIntoView({ block: "nearest" }); // on a phone it is far below the squares
  }

  // The unit (or map) clicked last: what it looks for, when its weights come from the pixels (the first layer's, as
  // a picture: api/info's templates), its input sum a = x·W + b and its value for the digit shown.
  function showUnit() {
    for (const cell of document.querySelectorAll(".cell.selected")) cell.classList.remove("selected");
    const panel = $("unit");
    panel.hidden = unit === null;
    if (unit === null) return;
    const { layer, index } = unit;
    const net = network();
    const isMap = layer in mapLayers;
    if (layers[layer]) layers[layer][index].classList.add("selected");
    $("unit-title").textContent = isMap
      ? t("{name}, map {index}", { name: layer, index })
      : t("{name}, unit {index}", { name: layer, index });
    // A CNN's templates are its filters, sent once (under `filters`).
    const templates = net.templates && net.templates.layer === layer ? (net.filters || net.templates) : null;
    const canvas = $("unit-weights");
    canvas.hidden = !templates;
    if (templates) {
      const [, height, width] = templates.shape;
      tiles(canvas, [1, height, width]);
      templates.bytes = templates.bytes || bytesOf(templates.pixels); // decoded once
      // A filter as the filters above draw it (dark is a large weight); a unit's weights bright where ink raises it.
      paintTiles(canvas, templates.bytes.subarray(index * height * width, (index + 1) * height * width), isMap);
    }
    $("unit-about").textContent = !templates
      ? t("Its weights come from the layer before it, not from the pixels: only the first layer's make a picture.")
      : isMap
        ? t("What it looks for: its filter, drawn as the filters above are: dark is a large weight.")
        : t("What it looks for: its weights as a picture, on its own scale: bright where ink raises its input sum, dark where ink lowers it.");
    const answer = shownAnswer && shownAnswer.network === selected ? shownAnswer : null;
    const sum = isMap ? null : sumOf(net, layer);
    const sumValue = answer && sum ? answer.sums[sum][index] : null;
    const value = answer && !isMap ? answer.activations[layer][index] : null;
    $("unit-sum").hidden = isMap;
    $("unit-sum").textContent = t("Input sum {name} = {value}", {
      name: `${sum}[${index}]`, value: sumValue === null ? "–" : number(sumValue),
    });
    $("unit-value").textContent = isMap
      ? mapValues(layer, index)
      : t("Value {name} = {value}", { name: `${layer}[${index}]`, value: value === null ? "–" : number(value) });
    panel.dataset.sum = sumValue === null ? "" : String(sumValue);
    panel.dataset.value = value === null ? "" : String(value);
  }

  // The affine layer whose output is the input sum of a dense layer's units: the last one before it (y: the scores).
  function sumOf(net, name) {
    let sum = null;
    for (const step of net.steps) {
      if (step.name === name) break;
      if (step.type === "affine") sum = step.name;
    }
    return sum;
  }

  // ---- a photo: file input or drag-and-drop -----------------------------------------------------------------
  async function usePhoto(file) {
    if (!file) return;
    if (file.size > MAX_UPLOAD) {
      const size = (file.size / 1048576).toFixed(1);
      showProblem(t("{name} is {size} MB; the limit is 10 MB. Scale it down first.", { name: file.name, size }));
      return;
    }
    strokes.length = 0;
    epoch++;
    const myEpoch = epoch;
    redraw();
    version++;
    answered = version;
    showSource(URL.createObjectURL(file), t("Your photo {name}", { name: file.name }));
    subject = { kind: "photo", file };
    await other(async () => {
      try {
        const answer = await ask(`api/predict?${query()}`, { method: "POST", body: file });
        if (myEpoch === epoch) show(answer, t("Your photo {name} reads as", { name: file.name }));
      } catch (error) {
        if (myEpoch === epoch) {
          backToDrawing(); // a picture the server could not read: no broken picture left in the pad
          showProblem(error.message);
        }
      }
    });
  }

  $("photo").addEventListener("change", (event) => {
    usePhoto(event.target.files[0]);
    event.target.value = "";
  });
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropZone.classList.add("dragging");
  });
  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) dropZone.classList.remove("dragging");
  });
  document.addEventListener("drop", (event) => {
    event.preventDefault(); // never let the browser navigate away to the dropped file
    dropZone.classList.remove("dragging");
    usePhoto(event.dataTransfer.files[0]);
  });

  // ---- a test digit by index --------------------------------------------------------------------------------
  async function showTestDigit(index) {
    if (!(index >= 0 && index < testCount)) {
      setStatus(t("Pick an index from 0 to {last}.", { last: testCount - 1 }), true);
      return;
    }
    const myEpoch = ++epoch;
    await other(async () => {
      try {
        const answer = await ask(`api/digit/${index}?${query()}`);
        if (myEpoch !== epoch) return;
        strokes.length = 0;
        redraw();
        version++;
        answered = version;
        const label = answer.label;
        showSource(pixelsAsImage(answer.input), t("MNIST test digit {index}, label {label}", { index, label }), true);
        subject = { kind: "digit", index };
        const about = answer.prediction === label
          ? t("Test digit {index}, label {label}: the network is right; it reads", { index, label })
          : t("Test digit {index}, label {label}: the network is wrong; it reads", { index, label });
        show(answer, about);
      } catch (error) {
        if (myEpoch === epoch) showProblem(error.message);
      }
    });
  }

  function pixelsAsImage(rows) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 28;
    const view = canvas.getContext("2d");
    const image = view.createImageData(28, 28);
    rows.flat().forEach((v, i) => image.data.set([v, v, v, 255], 4 * i));
    view.putImageData(image, 0, 0);
    return canvas.toDataURL("image/png");
  }

  $("digit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showTestDigit(Number.parseInt(digitIndex.value, 10));
  });
  $("digit-random").addEventListener("click", () => {
    digitIndex.value = String(Math.floor(Math.random() * testCount));
    showTestDigit(Number.parseInt(digitIndex.value, 10));
  });

  function describeTestSet() {
    const note = $("digit-note");
    if (info && info.test_set.available) {
      const last = testCount - 1;
      note.textContent = t("{count} test digits, 0 to {last}.", { count: testCount.toLocaleString(language), last });
      return;
    }
    $("digit-form").classList.add("absent");
    for (const control of $("digit-form").querySelectorAll("input, button")) control.disabled = true;
    note.textContent = t("The MNIST test set is not in the data directory: mnist-infer download --split test fetches it.");
    note.title = (info && info.test_set.reason) || "";
  }

  // ---- start --------------------------------------------------------------------------------------------------
  // Every text in the page's language, the chosen network's layers, and the current picture's answer again.
  function render() {
    translateStatic();
    buildNetworks();
    buildInside();
    describeTestSet();
    showBlank();
    refresh();
  }

  async function start() {
    const wanted = stored("language") || (navigator.languages || [navigator.language]).join(",");
    info = await ask(`api/info?lang=${encodeURIComponent(wanted)}`);
    const remembered = stored("network");
    selected = info.networks.some((each) => each.id === remembered) ? remembered : info.networks[0].id;
    buildLanguageSwitch(info.languages);
    await useLanguage(pickLanguage(info.languages));
    if (info.test_set.available) {
      testCount = info.test_set.count;
      digitIndex.max = String(testCount - 1);
    }
    render();
  }

  paper();
  settle();
  other(async () => {
    try {
      await start();
    } catch (error) {
      describeTestSet();
      setStatus(error.message, true);
    }
  });
})();
