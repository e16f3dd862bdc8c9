// mnist-infer serve: draw a digit, send the pad as a PNG to POST api/predict, show the answer layer by layer.
// Plain JavaScript, no framework, no build step. document.body.dataset.state is "idle" once the answer shown
// is the answer for what the pad holds (tests and scripts wait for it).
"use strict";

(() => {
  // Of the pad's side: with a digit about 2/3 of the pad tall, this gives the 28×28 input the ink of an MNIST
  // digit (mean intensity within 2% of the test set's, measured with tests/strokes.py).
  const INK_WIDTH = 0.1;
  const MAX_UPLOAD = 10 * 1024 * 1024; // the server refuses larger bodies
  const PALETTE = [[11, 16, 32], [59, 42, 122], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

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
  let epoch = 0; // bumped by Clear, a photo or a test digit: answers of an older epoch are dropped
  let busyOther = 0; // photo or test-digit requests under way
  let testCount = 0;
  let answersShown = 0; // answers, blanks and problems shown so far (for tests: "has the page answered yet?")

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
      const answer = await ask("api/predict", { method: "POST", body: png, headers: { "Content-Type": "image/png" } });
      if (myEpoch === epoch && strokes.length) show(answer, "Your drawing reads as");
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
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new Blob([bytes], { type: "image/png" });
  }

  async function ask(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch {
      throw new Error("The server does not answer: is mnist-infer serve still running?");
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `The server answered ${response.status}.`);
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

  // ---- showing the answer -----------------------------------------------------------------------------------
  const bars = $("probabilities");
  for (let digit = 0; digit < 10; digit++) {
    const item = document.createElement("li");
    item.dataset.digit = String(digit);
    item.dataset.p = "";
    item.innerHTML =
      `<span class="digit">${digit}</span><span class="track" aria-hidden="true"><span class="fill"></span></span>` +
      `<span class="value">–</span>`;
    bars.append(item);
  }

  function show(answer, subject) {
    answersShown++;
    const probabilities = answer.probabilities;
    const top = answer.prediction;
    $("prediction").textContent = String(top);
    $("confidence").textContent = `${percent(probabilities[top])} sure`;
    $("inline-answer").textContent = `→ ${top}`;
    $("subject").textContent = subject;
    setStatus("");
    for (const item of bars.children) {
      const p = probabilities[Number(item.dataset.digit)];
      item.dataset.p = String(p);
      item.classList.toggle("top", Number(item.dataset.digit) === top);
      item.querySelector(".fill").style.width = `${(100 * p).toFixed(2)}%`;
      item.querySelector(".value").textContent = percent(p);
    }
    drawInput(answer.input);
    for (const [name, values] of Object.entries(answer.activations)) paintLayer(name, values);
  }

  function showBlank(message = "Draw a digit on the pad.") {
    answersShown++;
    $("prediction").textContent = "";
    $("confidence").textContent = "";
    $("inline-answer").textContent = "";
    $("subject").textContent = message;
    for (const item of bars.children) {
      item.dataset.p = "";
      item.classList.remove("top");
      item.querySelector(".fill").style.width = "0";
      item.querySelector(".value").textContent = "–";
    }
    drawInput(null);
    for (const name of Object.keys(layers)) paintLayer(name, null);
  }

  function showProblem(message) {
    showBlank("No answer for this picture.");
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

  function drawInput(rows) {
    const view = $("input28").getContext("2d");
    const image = view.createImageData(28, 28);
    for (let i = 0; i < 28 * 28; i++) {
      const v = rows ? rows[Math.floor(i / 28)][i % 28] : 0;
      image.data.set([v, v, v, 255], 4 * i);
    }
    view.putImageData(image, 0, 0);
  }

  // ---- the layers: one square per neuron --------------------------------------------------------------------
  const layers = {}; // name -> list of cells

  function buildLayer(name, size) {
    const grid = $(`layer-${name}`);
    if (!grid) return;
    grid.replaceChildren();
    layers[name] = [];
    for (let i = 0; i < size; i++) {
      const cell = document.createElement("div");
      cell.className = "cell";
      cell.dataset.index = String(i);
      if (name === "y") cell.textContent = String(i);
      grid.append(cell);
      layers[name].push(cell);
    }
    grid.setAttribute("aria-label", `Layer ${name}: ${size} neurons`);
    for (const label of document.querySelectorAll(`.size[data-layer="${name}"]`)) label.textContent = `${size} neurons`;
  }

  function paintLayer(name, values) {
    const cells = layers[name];
    if (!cells) return;
    cells.forEach((cell, i) => {
      const v = values ? values[i] : null;
      cell.style.background = v === null ? "" : colour(v);
      cell.title = v === null ? `${name}[${i}]` : `${name}[${i}] = ${v.toFixed(4)}`;
      cell.dataset.value = v === null ? "" : String(v);
    });
  }

  function colour(value) {
    const t = Math.min(1, Math.max(0, value)) * (PALETTE.length - 1);
    const i = Math.min(PALETTE.length - 2, Math.floor(t));
    const f = t - i;
    const mix = PALETTE[i].map((c, k) => Math.round(c + (PALETTE[i + 1][k] - c) * f));
    return `rgb(${mix.join(",")})`;
  }

  function describeCell(event) {
    const cell = event.target.closest(".cell");
    if (!cell) return;
    $("cell-value").textContent = cell.title;
  }
  for (const grid of document.querySelectorAll(".grid")) {
    grid.addEventListener("pointerover", describeCell);
    grid.addEventListener("click", describeCell);
  }

  // ---- a photo: file input or drag-and-drop -----------------------------------------------------------------
  async function usePhoto(file) {
    if (!file) return;
    if (file.size > MAX_UPLOAD) {
      showProblem(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; the limit is 10 MB. Scale it down first.`);
      return;
    }
    strokes.length = 0;
    epoch++;
    redraw();
    version++;
    answered = version;
    showSource(URL.createObjectURL(file), `Your photo ${file.name}`);
    await other(async () => {
      try {
        show(await ask("api/predict", { method: "POST", body: file }), `Your photo ${file.name} reads as`);
      } catch (error) {
        showProblem(error.message);
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
      setStatus(`Pick an index from 0 to ${testCount - 1}.`, true);
      return;
    }
    await other(async () => {
      try {
        const answer = await ask(`api/digit/${index}`);
        strokes.length = 0;
        epoch++;
        redraw();
        version++;
        answered = version;
        showSource(pixelsAsImage(answer.input), `MNIST test digit ${index}, label ${answer.label}`, true);
        const verdict = answer.prediction === answer.label ? "right" : "wrong";
        show(answer, `Test digit ${index}, label ${answer.label}: the network is ${verdict}, it reads`);
      } catch (error) {
        showProblem(error.message);
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

  function testSetAbsent(reason) {
    $("digit-form").classList.add("absent");
    for (const control of $("digit-form").querySelectorAll("input, button")) control.disabled = true;
    $("digit-note").textContent =
      "The MNIST test set is not in the data directory: `mnist-infer download --split test` fetches it.";
    $("digit-note").title = reason || "";
  }

  // ---- start --------------------------------------------------------------------------------------------------
  function start(info) {
    const sizes = info.weights.sizes;
    const hidden = info.layers.filter((name) => name !== "y");
    for (const name of ["z1", "z2"]) {
      const at = hidden.indexOf(name);
      const figure = document.getElementById(`layer-${name}`).closest("figure");
      figure.hidden = at < 0;
      if (at >= 0) buildLayer(name, sizes[at + 1]);
    }
    buildLayer("y", sizes[sizes.length - 1]);
    const book = info.weights.book ? "the book's " : "";
    $("weights-info").textContent = `Weights: ${book}${info.weights.name} (${info.weights.sizes.join("-")}).`;
    if (info.test_set.available) {
      testCount = info.test_set.count;
      digitIndex.max = String(testCount - 1);
      $("digit-note").textContent = `${testCount.toLocaleString("en")} test digits, 0 to ${testCount - 1}.`;
    } else {
      testSetAbsent(info.test_set.reason);
    }
    showBlank();
  }

  paper();
  buildLayer("z1", 50);
  buildLayer("z2", 100);
  buildLayer("y", 10);
  showBlank();
  other(async () => {
    try {
      start(await ask("api/info"));
    } catch (error) {
      testSetAbsent();
      setStatus(error.message, true);
    }
  });
})();
