// sirenkit view: one panel per run folder, side by side. Everything is fetched from the local server.
import * as THREE from "three";
import { OrbitControls } from "/static/three/OrbitControls.js";
import { OBJLoader } from "/static/three/OBJLoader.js";

const state = { runs: [], viewers: [], tiles: [], curves: {}, audio: {}, sdf: {}, syncing: false };
window.sirenkit = state;  // read by the browser tests and handy in the console

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function fmt(value) {
  return typeof value === "number" ? (Math.abs(value) >= 1000 || Math.abs(value) < 0.01 ? value.toExponential(3) : value.toFixed(3)) : String(value);
}

async function main() {
  const response = await fetch("/api/runs");
  state.runs = await response.json();
  document.getElementById("status").textContent = `${state.runs.length} run(s)`;
  const container = document.getElementById("runs");
  for (const run of state.runs) {
    const panel = el("section", { class: "run", id: `run-${run.id}` });
    container.append(panel);
    panel.append(el("h2", {}, `${run.name} (${run.task})`));
    const summary = Object.entries(run.summary || {}).filter(([, v]) => typeof v === "number").slice(0, 6)
      .map(([k, v]) => `${k} ${fmt(v)}`).join(" · ");
    panel.append(el("div", { class: "summary" }, summary || "training: no final metrics yet"));
    addCurves(panel, run);
    if (run.problem) panel.append(el("p", { class: "problem" }, run.problem));
    if (!run.has_model) { panel.append(el("p", { class: "caption" }, `no ${run.model_file} yet: curves only (reload when the run ends)`)); continue; }
    if (run.kind === "image" && run.image) addImage(panel, run);
    else if (run.kind === "audio" && run.audio) addAudio(panel, run);
    else if (run.kind === "sdf" && run.sdf) addSdf(panel, run);
    else if (run.kind === "wavefield" && run.wavefield) addWavefield(panel, run);
    else if (run.kind === "video" && run.video) addVideo(panel, run);
    else if (run.kind === "prior" && run.prior) addPrior(panel, run);
    else addExports(panel, run);
  }
  state.ready = true;
}

// ---- training curves, polled from metrics.jsonl ----
function addCurves(panel, run) {
  const select = el("select", { class: "curve-key" });
  const canvas = el("canvas", { class: "curve", width: 600, height: 160 });
  panel.append(el("div", { class: "row" }, "curve:", select), canvas);
  const curve = { records: [], keys: [], select, canvas, polls: 0, totalSteps: run.total_steps || 0 };
  state.curves[run.id] = curve;
  select.addEventListener("change", () => drawCurve(curve));
  const poll = async () => {
    try {
      const data = await (await fetch(`/api/runs/${run.id}/metrics?since=${curve.records.length}`)).json();
      if (data.records.length) { curve.records.push(...data.records); updateKeys(curve); drawCurve(curve); }
      curve.polls += 1;
    } catch (err) { /* the server went away: stop quietly */ return; }
    setTimeout(poll, 1000);
  };
  poll();
}

function updateKeys(curve) {
  const skip = new Set(["step", "lr", "train_seconds", "seconds_per_step"]);
  const keys = new Set(curve.keys);
  for (const record of curve.records) for (const [k, v] of Object.entries(record)) if (!skip.has(k) && typeof v === "number") keys.add(k);
  const sorted = [...keys].sort((a, b) => (a === "total" ? -1 : b === "total" ? 1 : a.localeCompare(b)));
  if (sorted.join() === curve.keys.join()) return;
  const previous = curve.select.value;
  curve.keys = sorted;
  curve.select.replaceChildren(...sorted.map((k) => el("option", { value: k }, k)));
  curve.select.value = sorted.includes(previous) ? previous : sorted[0];
}

function drawCurve(curve) {
  const { canvas } = curve, ctx = canvas.getContext("2d"), key = curve.select.value;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  const points = curve.records.filter((r) => typeof r[key] === "number" && typeof r.step === "number").map((r) => [r.step, r[key]]);
  curve.points = points.length;
  if (!points.length) return;
  const logY = points.every(([, v]) => v > 0) && !key.startsWith("psnr") && !key.startsWith("ssim");
  const ys = points.map(([, v]) => (logY ? Math.log10(v) : v));
  const x0 = Math.min(...points.map((p) => p[0])), x1 = Math.max(...points.map((p) => p[0]), x0 + 1, curve.totalSteps);  // fixed to the run's length: the curve grows rightwards
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const left = 56, right = canvas.width - 8, top = 8, bottom = canvas.height - 20;
  const px = (x) => left + ((x - x0) / (x1 - x0)) * (right - left);
  const py = (y) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
  ctx.strokeStyle = "#bbb"; ctx.strokeRect(left, top, right - left, bottom - top);
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
  ctx.fillText(logY ? fmt(10 ** y1) : fmt(y1), 2, top + 10);
  ctx.fillText(logY ? fmt(10 ** y0) : fmt(y0), 2, bottom);
  ctx.fillText(`step ${x0}`, left, canvas.height - 4);
  ctx.fillText(`${x1}`, right - 40, canvas.height - 4);
  ctx.strokeStyle = "#1565c0"; ctx.lineWidth = 2; ctx.beginPath();
  points.forEach(([x], i) => { const X = px(x), Y = py(ys[i]); if (i) ctx.lineTo(X, Y); else ctx.moveTo(X, Y); });
  ctx.stroke();
  if (points.length === 1) { ctx.fillStyle = "#1565c0"; ctx.fillRect(px(points[0][0]) - 2, py(ys[0]) - 2, 5, 5); }
}

// ---- image / poisson / blend: deep zoom ----
function tileSource(run, layer) {
  const info = run.image;
  return {
    width: info.full_width, height: info.full_height, tileSize: info.tile_size, tileOverlap: 0, minLevel: 0, maxLevel: info.max_level,
    getTileUrl: (level, x, y) => `/api/runs/${run.id}/tile.png?layer=${layer}&level=${level}&x=${x}&y=${y}`,
  };
}

function makeViewer(element, run, layer) {
  const viewer = OpenSeadragon({
    element, prefixUrl: "/static/openseadragon/images/", tileSources: tileSource(run, layer), showNavigator: false,
    maxZoomPixelRatio: 2, minZoomImageRatio: 0.2, imageSmoothingEnabled: false, animationTime: 0.3, crossOriginPolicy: false, immediateRender: false,
  });
  viewer.sirenkitRun = run.id;
  viewer.sirenkitLayer = layer;
  viewer.addHandler("tile-loaded", (event) => {
    state.tiles.push({ run: run.id, layer: viewer.sirenkitLayer, level: event.tile.level, x: event.tile.x, y: event.tile.y, url: event.tile.getUrl() });
  });
  viewer.addHandler("viewport-change", () => syncFrom(viewer));
  state.viewers.push(viewer);
  return viewer;
}

function syncFrom(source) {
  if (state.syncing) return;
  state.syncing = true;
  const center = source.viewport.getCenter(false), zoom = source.viewport.getZoom(false);
  for (const viewer of state.viewers) if (viewer !== source) { viewer.viewport.zoomTo(zoom, null, true); viewer.viewport.panTo(center, true); }
  state.syncing = false;
}

function layerLabel(layer, run) {
  return { phi: "Φ (the fit)", grad: "|∇Φ|", laplacian: "ΔΦ", error: `|Φ − ${run.image.reference_label} (bicubic)|`, bicubic: "bicubic" }[layer];
}

function addImage(panel, run) {
  const info = run.image;
  const select = el("select", { class: "layer" }, ...info.layers.filter((l) => l !== "bicubic").map((l) => el("option", { value: l }, layerLabel(l, run))));
  const zoomText = el("span", { class: "zoom" }, "");
  const psnr = info.psnr_live == null ? "no ground truth" : `PSNR ${info.psnr_live.toFixed(2)} dB at the training resolution`;
  const legend = el("span", { class: "caption" });
  panel.append(el("div", { class: "row" }, "layer:", select, zoomText, el("span", { class: "psnr" }, psnr)), el("div", { class: "row" }, legend));
  const left = el("div", { class: "osd", id: `osd-${run.id}` }), right = el("div", { class: "osd", id: `osd-ref-${run.id}` });
  panel.append(el("div", { class: "pair" }, el("div", {}, el("div", { class: "caption" }, "the field, rendered per tile"), left),
    el("div", {}, el("div", { class: "caption" }, `${info.reference_label} ${info.width}×${info.height}, upsampled bicubically`), right)));
  const viewer = makeViewer(left, run, "phi");
  if (info.layers.includes("bicubic")) makeViewer(right, run, "bicubic"); else right.textContent = "no ground truth for this run";
  const updateZoom = () => {
    const imageZoom = viewer.viewport.viewportToImageZoom(viewer.viewport.getZoom(true));
    zoomText.textContent = `zoom ${(imageZoom * info.zoom).toFixed(1)}× the training resolution`;
  };
  viewer.addHandler("zoom", updateZoom); viewer.addHandler("open", updateZoom);
  const updateLegend = () => {
    const layer = select.value, range = info.ranges[layer];
    legend.replaceChildren();
    if (range) legend.append(`${fmt(range[0])} `, el("img", { class: "colorbar", src: `/api/colorbar.png?map=${info.colormaps[layer]}`, alt: "colour bar" }), ` ${fmt(range[1])}`);
  };
  select.addEventListener("change", () => {
    viewer.sirenkitLayer = select.value;
    viewer.addTiledImage({ tileSource: tileSource(run, select.value), index: 0, replace: true });
    updateLegend();
  });
  updateLegend();
  state.image = state.image || {};
  state.image[run.id] = { viewer, zoom: info.zoom };
}

// For tests and the console: show `factor` screen pixels per training pixel.
state.zoomTo = (runId, factor) => {
  const { viewer, zoom } = state.image[runId];
  viewer.viewport.zoomTo(viewer.viewport.imageToViewportZoom(factor / zoom), null, true);
  viewer.viewport.applyConstraints(true);
};
state.fullyLoaded = (runId) => state.viewers.filter((v) => v.sirenkitRun === runId).every((v) => v.world.getItemCount() > 0 && v.world.getItemAt(0).getFullyLoaded());

// ---- audio ----
async function drawEnvelope(canvas, runId) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  const colours = { original: "#888", fit: "#1565c0" };
  for (const which of ["original", "fit"]) {
    const response = await fetch(`/api/runs/${runId}/audio/envelope?which=${which}&bins=${canvas.width}`);
    if (!response.ok) continue;
    const { min, max } = await response.json();
    ctx.strokeStyle = colours[which]; ctx.beginPath();
    const mid = canvas.height / 2, scale = canvas.height / 2 - 2;
    min.forEach((lo, i) => { const X = (i / min.length) * canvas.width; ctx.moveTo(X, mid - max[i] * scale); ctx.lineTo(X, mid - lo * scale + 1); });
    ctx.stroke();
  }
}

function drawImageOnCanvas(canvas, url) {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => { canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height); resolve(true); };
    image.onerror = () => resolve(false);
    image.src = url;
  });
}

function addAudio(panel, run) {
  const info = run.audio, base = `/api/runs/${run.id}/audio`;
  const wave = el("canvas", { class: "wave", width: 800, height: 120 });
  panel.append(el("div", { class: "caption" }, `waveform: original grey, fit blue (${info.duration_s.toFixed(2)} s at ${info.sample_rate} Hz)`), wave);
  const spectra = {};
  for (const which of info.has_original ? ["original", "fit"] : ["fit"]) {
    spectra[which] = el("canvas", { class: "spectrogram", width: 800, height: 200 });
    panel.append(el("div", { class: "caption" }, `spectrogram of the ${which}`), spectra[which]);
  }
  const players = {};
  for (const which of info.has_original ? ["original", "fit"] : ["fit"]) {
    players[which] = el("audio", { controls: "", preload: "metadata", src: `${base}/clip.wav?which=${which}`, class: `player-${which}` });
    panel.append(el("div", { class: "row" }, `${which}:`, players[which]));
  }
  const rate = el("input", { type: "number", value: String(info.sample_rate * 2), min: "1000", max: "192000", step: "1", class: "rate" });
  const duration = el("input", { type: "number", value: info.duration_s.toFixed(3), min: "0.001", step: "0.1", class: "duration" });
  const custom = el("audio", { controls: "", preload: "none", class: "player-custom" });
  const button = el("button", {}, "render");
  button.addEventListener("click", () => { custom.src = `${base}/clip.wav?which=fit&rate=${rate.value}&duration=${duration.value}`; custom.load(); });
  panel.append(el("div", { class: "row" }, "fit at", rate, "Hz over", duration, "s", button), el("div", { class: "row" }, custom),
    el("div", { class: "caption" }, `at most ${info.max_samples} samples per render`));
  const record = { players, drawn: false };
  state.audio[run.id] = record;
  Promise.all([drawEnvelope(wave, run.id), ...Object.entries(spectra).map(([which, c]) => drawImageOnCanvas(c, `${base}/spectrogram.png?which=${which}`))])
    .then(() => { record.drawn = true; });
}

// ---- sdf: mesh in three.js, slice plane with a slider and a colour bar ----
function addSdf(panel, run) {
  const info = run.sdf, norm = info.normalization || {}, scale = norm.scale || 1, center = norm.center || [0, 0, 0];
  const canvas = el("canvas", { class: "mesh", width: 640, height: 360 });
  const axis = el("select", { class: "axis" }, ...["x", "y", "z"].map((a) => el("option", { value: a }, a)));
  axis.value = "z";
  const slider = el("input", { type: "range", min: "-1", max: "1", step: "0.01", value: "0", class: "slice-position" });
  const showPlane = el("input", { type: "checkbox", checked: "", class: "show-plane" });
  const slice = el("img", { class: "slice", alt: "SDF slice" });
  const value = el("span", {}, "0.00");
  panel.append(canvas, el("div", { class: "row" }, "slice", axis, slider, value, el("label", {}, showPlane, " plane in 3-D")),
    el("div", { class: "row" }, slice, el("div", {}, el("div", { class: "caption" }, "signed distance (field units): red inside, blue outside, black the zero level"),
      `${-info.range} `, el("img", { class: "colorbar", src: `/api/colorbar.png?map=${info.colormap}`, alt: "colour bar" }), ` +${info.range}`)));
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setClearColor(0x202020);
  const scene = new THREE.Scene(), camera = new THREE.PerspectiveCamera(40, canvas.width / canvas.height, 0.001, 1000);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.0));
  const light = new THREE.DirectionalLight(0xffffff, 1.5); light.position.set(1, 2, 3); scene.add(light);
  const side = 2 / scale;
  const plane = new THREE.Mesh(new THREE.PlaneGeometry(side, side),
    new THREE.MeshBasicMaterial({ color: 0xffaa00, transparent: true, opacity: 0.25, side: THREE.DoubleSide, depthWrite: false }));
  scene.add(plane);
  const controls = new OrbitControls(camera, canvas);
  const record = { meshLoaded: false, renderer };
  state.sdf[run.id] = record;
  const draw = () => renderer.render(scene, camera);
  controls.addEventListener("change", draw);
  const placePlane = () => {
    const a = axis.value, p = Number(slider.value), where = center.map((c) => c);
    where[{ x: 0, y: 1, z: 2 }[a]] = p / scale + center[{ x: 0, y: 1, z: 2 }[a]];
    plane.position.set(...where);
    plane.rotation.set(a === "y" ? Math.PI / 2 : 0, a === "x" ? Math.PI / 2 : 0, 0);
    plane.visible = showPlane.checked;
    value.textContent = p.toFixed(2);
    slice.src = `/api/runs/${run.id}/sdf/slice.png?axis=${a}&position=${p}&resolution=256`;
    draw();
  };
  for (const input of [axis, slider, showPlane]) input.addEventListener("input", placePlane);
  camera.position.set(center[0], center[1], center[2] + 2.5 * side);
  controls.target.set(...center);
  controls.update();
  placePlane();
  if (!info.has_mesh) { panel.append(el("p", { class: "caption" }, "this run has no mesh.obj; run 'sirenkit mesh' on it")); return; }
  new OBJLoader().load(`/api/runs/${run.id}/files/mesh.obj`, (object) => {
    object.traverse((child) => { if (child.isMesh) { child.material = new THREE.MeshStandardMaterial({ color: 0xd0d0d0, roughness: 0.6 }); child.geometry.computeVertexNormals(); } });
    scene.add(object);
    const box = new THREE.Box3().setFromObject(object), size = box.getSize(new THREE.Vector3()).length(), mid = box.getCenter(new THREE.Vector3());
    camera.position.set(mid.x + 0.6 * size, mid.y + 0.4 * size, mid.z + 1.2 * size);
    controls.target.copy(mid); controls.update();
    draw();
    record.meshLoaded = true;
  });
}

// ---- helmholtz / helmholtz-inverse / wave: real, imaginary, magnitude, velocity; a time slider for the wave;
// a dirichlet Helmholtz run: its u (the task's, boundary factor included), the exact solution and their difference ----
const WAVEFIELD_LABELS = { exact: "exact sin(kx)·sin(ky)", error: "error u − exact" };
function addWavefield(panel, run) {
  const info = run.wavefield;
  const layer = el("select", { class: "wavefield-layer" }, ...info.layers.map((l) => el("option", { value: l }, WAVEFIELD_LABELS[l] || l)));
  const controls = [el("span", {}, "layer:"), layer];
  const time = el("input", { type: "range", min: "0", max: String(info.t_max || 0), step: String((info.t_max || 1) / 100), value: "0", class: "time" });
  const timeText = el("span", {}, "t = 0");
  if (run.task === "wave") controls.push(el("span", {}, "time:"), time, timeText);
  const source = el("input", { type: "number", min: "0", max: String((info.sources || 1) - 1), value: "0", class: "source" });
  if (info.sources > 1) controls.push(el("span", {}, "source:"), source);
  const picture = el("img", { class: "slice wavefield", alt: "field" });
  const low = el("span", {}), high = el("span", {}), bar = el("img", { class: "colorbar", alt: "colour bar" });
  const readout = el("div", { class: "caption wavefield-readout" }, "click the picture for the values at a point");
  panel.append(el("div", { class: "row" }, ...controls), el("div", { class: "row" }, picture, el("div", {}, low, " ", bar, " ", high)), readout);
  if (typeof info.relative_l2_live === "number") panel.append(el("div", { class: "caption wavefield-score" }, `relative L² error of u against the exact solution (DeepXDE's test grid): ${fmt(info.relative_l2_live)}`));
  const record = { drawn: 0, probed: 0 };
  picture.addEventListener("click", async (event) => {
    const box = picture.getBoundingClientRect();  // rows follow c1, columns c2 (sirenkit.grid)
    const c1 = Math.min(1, Math.max(-1, (2 * (event.clientY - box.top)) / box.height - 1));
    const c2 = Math.min(1, Math.max(-1, (2 * (event.clientX - box.left)) / box.width - 1));
    const response = await fetch(`/api/runs/${run.id}/field/point?c1=${c1}&c2=${c2}&t=${time.value}&source=${source.value}`);
    if (!response.ok) return;
    const data = await response.json();
    readout.textContent = `at (${fmt(c1)}, ${fmt(c2)}): ` + Object.entries(data.values).map(([k, v]) => `${k} ${fmt(v)}`).join(" · ");
    record.probed += 1;
  });
  state.wavefield = state.wavefield || {};
  state.wavefield[run.id] = record;
  let latest = 0;
  const update = async () => {
    const ticket = ++latest;
    timeText.textContent = `t = ${Number(time.value).toFixed(3)}`;
    const response = await fetch(`/api/runs/${run.id}/field.png?layer=${layer.value}&resolution=256&t=${time.value}&source=${source.value}`);
    if (!response.ok || ticket !== latest) return;
    const [lo, hi] = (response.headers.get("X-Value-Range") || "0,1").split(",").map(Number);
    if (picture.src) URL.revokeObjectURL(picture.src);
    picture.src = URL.createObjectURL(await response.blob());
    low.textContent = fmt(lo); high.textContent = fmt(hi);
    bar.src = `/api/colorbar.png?map=${info.colormaps[layer.value]}`;
    record.drawn += 1;
  };
  for (const input of [layer, time, source]) input.addEventListener("input", update);
  update();
}

// ---- video: the fit against the original, scrub, slow motion rendered from the field ----
function addVideo(panel, run) {
  const info = run.video, base = `/api/runs/${run.id}/video/frame.png`;
  const slow = el("select", { class: "slow-motion" }, ...[1, 2, 4, 8, 16].filter((k) => k <= info.max_slow_motion)
    .map((k) => el("option", { value: String(k) }, k === 1 ? "normal speed" : `${k}× slow motion`)));
  const scrub = el("input", { type: "range", min: "0", max: String(info.count - 1), step: "1", value: "0", class: "frame" });
  const play = el("button", { class: "play" }, "play"), label = el("span", {}, "");
  const original = el("img", { class: "slice video-original", alt: "original frame" }), fit = el("img", { class: "slice video-fit", alt: "fitted frame" });
  panel.append(el("div", { class: "row" }, play, scrub, label, slow),
    el("div", { class: "pair" }, el("div", {}, el("div", { class: "caption" }, "original"), info.has_original ? original : "source clip not found"),
      el("div", {}, el("div", { class: "caption" }, "the fit, rendered from the field"), fit)));
  const record = { shown: 0 };
  state.video = state.video || {};
  state.video[run.id] = record;
  fit.addEventListener("load", () => { record.shown += 1; });
  const frames = () => info.count * Number(slow.value);
  const show = () => {
    const k = Number(scrub.value), n = frames(), source = n > 1 ? Math.round((k * (info.count - 1)) / (n - 1)) : 0;
    label.textContent = `frame ${k + 1} / ${n}`;
    fit.src = `${base}?which=fit&frame=${k}&frames=${n}`;
    if (info.has_original) original.src = `${base}?which=original&frame=${source}`;
  };
  slow.addEventListener("input", () => { const at = Number(scrub.value) / Math.max(1, Number(scrub.max)); scrub.max = String(frames() - 1); scrub.value = String(Math.round(at * (frames() - 1))); show(); });
  scrub.addEventListener("input", show);
  let timer = null;
  play.addEventListener("click", () => {
    if (timer) { clearInterval(timer); timer = null; play.textContent = "play"; return; }
    play.textContent = "pause";
    timer = setInterval(() => { scrub.value = String((Number(scrub.value) + 1) % frames()); show(); }, 1000 / info.fps);
  });
  show();
}

// ---- prior: pick a held-out face and a context, inpaint it live, against the mean training face ----
function loadImage(image, url) {
  return new Promise((resolve) => {
    image.onload = () => resolve(true);
    image.onerror = () => resolve(false);
    image.src = url;
  });
}

function addPrior(panel, run) {
  const info = run.prior, base = `/api/runs/${run.id}/prior`;
  const face = el("input", { type: "number", min: "0", max: String(info.faces - 1), step: "1", value: "0", class: "face" });
  const mode = el("select", { class: "context-mode" }, el("option", { value: "random" }, "random pixels"), el("option", { value: "half" }, "top half"));
  const count = el("input", { type: "range", min: "1", max: String(info.pixels), step: "1", value: String(Math.min(100, info.pixels)), class: "context" });
  const countText = el("span", { class: "context-count" }, "");
  const presets = info.presets.map((p) => {
    const button = el("button", { class: "preset" }, p === "half" ? "half" : `${p} px`);
    button.addEventListener("click", () => { if (p === "half") mode.value = "half"; else { mode.value = "random"; count.value = p; } update(); });
    return button;
  });
  panel.append(el("div", { class: "row" }, `test face (0–${info.faces - 1}, people the prior never saw):`, face),
    el("div", { class: "row" }, "context:", mode, count, countText), el("div", { class: "row" }, "presets:", ...presets));
  const labels = { truth: "true face", context: "context (blue: not shown to the prior)", inpainted: "inpainted by the prior", mean: "mean training face" };
  const images = {}, cells = [];
  for (const which of info.pictures) {
    images[which] = el("img", { class: `face-picture prior-${which}`, alt: labels[which], width: String(info.side), height: String(info.side) });
    cells.push(el("figure", {}, images[which], el("figcaption", { class: "caption" }, labels[which])));
  }
  const readout = el("div", { class: "row readout" }, "");
  panel.append(el("div", { class: "faces" }, ...cells), readout,
    el("div", { class: "caption" }, `${info.model} prior, ${info.side}×${info.side} faces; MSE over all pixels, values in [−1, 1]; contexts drawn with the evaluation's seed, as 'sirenkit inpaint'`));
  const record = { drawn: 0, readout: null };
  state.prior = state.prior || {};
  state.prior[run.id] = record;
  let latest = 0;
  const update = async () => {
    const ticket = ++latest;
    count.disabled = mode.value === "half";
    const context = mode.value === "half" ? "half" : count.value;
    countText.textContent = mode.value === "half" ? `${info.pixels / 2} of ${info.pixels} pixels` : `${count.value} of ${info.pixels} pixels`;
    const query = `face=${face.value}&context=${context}`;
    const response = await fetch(`${base}/inpaint?${query}`);
    if (ticket !== latest) return;
    if (!response.ok) { readout.textContent = await response.text(); readout.classList.add("problem"); return; }
    const data = await response.json();
    readout.classList.remove("problem");
    const loaded = await Promise.all(info.pictures.map((which) => loadImage(images[which], `${base}/picture.png?which=${which}&${query}`)));
    if (ticket !== latest || !loaded.every(Boolean)) return;
    readout.replaceChildren(el("span", { class: "mse-inpainted" }, `inpainted MSE ${data.mse_inpainted.toFixed(4)}`), " · ",
      el("span", { class: "mse-mean" }, `mean face MSE ${data.mse_mean_face.toFixed(4)}`), " · ",
      `${data.observed} pixels shown · person ${data.person}`);
    record.readout = data;
    record.drawn += 1;
  };
  for (const input of [face, mode, count]) input.addEventListener("input", update);
  update();
}

// ---- every other task: the pictures its export wrote ----
function addExports(panel, run) {
  panel.append(el("p", { class: "caption" }, `no interactive view for '${run.task}' yet; the pictures this run wrote:`));
  for (const name of run.files.filter((f) => f.endsWith(".png"))) {
    panel.append(el("div", { class: "caption" }, name), el("img", { class: "export", src: `/api/runs/${run.id}/files/${name}`, alt: name }));
  }
}

main().catch((err) => { document.getElementById("status").textContent = `error: ${err}`; throw err; });
