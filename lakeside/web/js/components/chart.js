// Small SVG charts without a library: lines, areas and columns over days (or any labels), and
// horizontal bars for rankings. Axes carry "nice" ticks, dates are written in the chosen language,
// a pointer or the arrow keys show the exact values in a tooltip, and <title>/<desc> describe the
// chart to screen readers. The drawing follows the width of its box; colours come from CSS classes
// (growth.css: .series-0 … .series-5), so nothing here needs an inline style but the tooltip's place.

import { h, replaceChildren, svg } from "../dom.js";
import { getLang } from "../i18n/index.js";

let counter = 0;

/** 0, 2, 4, 6… : about `count` round steps covering [0, max]. */
export function niceTicks(max, count = 5) {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) || 10 * power;
  const whole = Math.max(step, Number.isInteger(max) ? Math.ceil(step) : step);
  const ticks = [];
  for (let value = 0; value < max + whole * 0.999; value += whole) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

/** "2013-08-19" as a local date (no time-zone shift). */
export function parseDay(text) {
  const [year, month, day] = String(text).split("-").map(Number);
  return new Date(year, (month || 1) - 1, day || 1);
}

const formats = new Map();
function intl(kind, options) {
  const key = `${getLang()}|${kind}|${JSON.stringify(options)}`;
  if (!formats.has(key)) {
    formats.set(key, kind === "date" ? new Intl.DateTimeFormat(getLang(), options) : new Intl.NumberFormat(getLang(), options));
  }
  return formats.get(key);
}

export function formatNumber(value, options = {}) {
  return value === null || value === undefined ? "–" : intl("number", options).format(value);
}

export function formatDayShort(text) {
  return intl("date", { month: "short", day: "numeric" }).format(parseDay(text));
}

export function formatDayLong(text) {
  return intl("date", { year: "numeric", month: "short", day: "numeric", weekday: "short" }).format(parseDay(text));
}

/**
 * chart({kind: "line" | "area" | "bar" | "hbar", title, desc, labels, series: [{name, values}],
 *        dates: true when labels are YYYY-MM-DD, value: v => text, height})
 * Returns {el, update({labels, series, title, desc}), destroy()}.
 */
export function chart(options) {
  counter += 1;
  const id = `chart-${counter}`;
  let spec = { height: 240, value: (v) => formatNumber(v), ...options };
  let width = 0;
  let active = -1;
  let geometry = null;

  const tooltip = h("div", { class: "chart-tip", role: "status", hidden: true });
  const legend = h("ul", { class: "chart-legend" });
  const canvas = h("div", { class: "chart-canvas" });
  const el = h("figure", { class: ["chart", `chart-kind-${spec.kind}`], dataset: { kind: spec.kind } }, canvas, tooltip, legend);

  const observer = new ResizeObserver(() => {
    if (!el.isConnected) return;
    const next = Math.round(canvas.clientWidth);
    if (next && next !== width) {
      width = next;
      draw();
    }
  });
  observer.observe(canvas);

  function labelText(index, long = false) {
    const label = spec.labels[index];
    if (!spec.dates) return String(label);
    return long ? formatDayLong(label) : formatDayShort(label);
  }

  function draw() {
    const w = width || canvas.clientWidth || 600;
    const kind = spec.kind;
    const rows = spec.labels.length;
    const height = kind === "hbar" ? Math.max(60, rows * 30 + 28) : spec.height;
    const root = svg("svg", {
      class: "chart-svg", width: w, height, viewBox: `0 0 ${w} ${height}`, role: "img", tabindex: rows ? 0 : -1,
      "aria-labelledby": `${id}-title ${id}-desc`, focusable: "true",
    });
    const titleEl = svg("title", { id: `${id}-title` });
    titleEl.textContent = spec.title || "";
    const descEl = svg("desc", { id: `${id}-desc` });
    descEl.textContent = spec.desc || describe();
    root.append(titleEl, descEl);
    geometry = kind === "hbar" ? drawHorizontal(root, w, height) : drawColumns(root, w, height);
    root.addEventListener("pointermove", (event) => pick(event, root));
    root.addEventListener("pointerleave", () => show(-1));
    root.addEventListener("keydown", onKey);
    root.addEventListener("blur", () => show(-1));
    replaceChildren(canvas, root);
    replaceChildren(legend, spec.series.length > 1 ? spec.series.map((series, i) => h("li", { class: "chart-key" },
      h("span", { class: `chart-swatch series-${series.tone ?? i}`, "aria-hidden": "true" }), h("span", { text: series.name }))) : []);
    legend.hidden = spec.series.length < 2;
    if (active >= rows) active = -1;
    show(active);
  }

  function describe() {
    return spec.series.map((series) => {
      const values = series.values.filter((v) => v !== null && v !== undefined);
      if (!values.length) return series.name;
      return `${series.name}: ${spec.value(Math.min(...values))}–${spec.value(Math.max(...values))}`;
    }).join("; ");
  }

  function maxValue() {
    let max = 0;
    for (const series of spec.series) for (const v of series.values) if (v > max) max = v;
    return max;
  }

  function drawColumns(root, w, height) {
    const ticks = niceTicks(maxValue());
    const top = ticks[ticks.length - 1] || 1;
    const tickLabels = ticks.map((v) => spec.value(v));
    const left = Math.max(28, Math.max(...tickLabels.map((s) => s.length)) * 7 + 12);
    const margin = { left, right: 14, top: 12, bottom: 28 };
    const plotW = Math.max(10, w - margin.left - margin.right);
    const plotH = height - margin.top - margin.bottom;
    const n = spec.labels.length;
    const bars = spec.kind === "bar";
    const band = n ? plotW / (bars ? n : Math.max(1, n - 1)) : plotW;
    const x = (i) => margin.left + (bars ? band * (i + 0.5) : n === 1 ? plotW / 2 : band * i);
    const y = (v) => margin.top + plotH - (v / top) * plotH;
    const grid = svg("g", { class: "chart-grid" });
    ticks.forEach((v, i) => {
      grid.append(svg("line", { x1: margin.left, x2: margin.left + plotW, y1: y(v), y2: y(v) }));
      const label = svg("text", { x: margin.left - 8, y: y(v) + 4, "text-anchor": "end", class: "chart-tick" });
      label.textContent = tickLabels[i];
      grid.append(label);
    });
    const axis = svg("g", { class: "chart-axis" });
    const every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(plotW / 72))));
    for (let i = 0; i < n; i += every) {
      // Keep the first and last labels inside the box: anchor them at their edge when need be.
      const text = labelText(i);
      const half = (textWidth(text) * 11) / 13 / 2;
      const anchor = x(i) - half < 0 ? "start" : x(i) + half > w ? "end" : "middle";
      const label = svg("text", { x: anchor === "start" ? Math.max(0, x(i) - 4) : anchor === "end" ? Math.min(w, x(i) + 4) : x(i), y: height - 8, "text-anchor": anchor, class: "chart-tick" });
      label.textContent = text;
      axis.append(label);
    }
    root.append(grid, axis);
    const marks = svg("g", { class: "chart-marks" });
    spec.series.forEach((series, s) => {
      const tone = `series-${series.tone ?? s}`;
      const group = svg("g", { class: `chart-series ${tone}`, "data-series": s, "data-points": series.values.length });
      if (bars) {
        const inner = Math.max(1, (band * 0.72) / spec.series.length);
        series.values.forEach((v, i) => {
          const bx = x(i) - (inner * spec.series.length) / 2 + inner * s;
          group.append(svg("rect", { class: "chart-bar", x: bx, y: y(v || 0), width: inner, height: Math.max(0, y(0) - y(v || 0)), rx: Math.min(3, inner / 3) }));
        });
      } else {
        const points = series.values.map((v, i) => [x(i), y(v || 0)]);
        const line = points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join("");
        if (spec.kind === "area" && points.length) {
          const base = y(0).toFixed(1);
          group.append(svg("path", { class: "chart-area", d: `${line}L${points[points.length - 1][0].toFixed(1)},${base}L${points[0][0].toFixed(1)},${base}Z` }));
        }
        group.append(svg("path", { class: "chart-line", d: line }));
        const radius = n <= 45 ? 2.5 : 0;
        for (const [px, py] of points) group.append(svg("circle", { class: "chart-dot", cx: px, cy: py, r: radius }));
      }
      marks.append(group);
    });
    const guide = svg("line", { class: "chart-guide", x1: 0, x2: 0, y1: margin.top, y2: margin.top + plotH, visibility: "hidden" });
    root.append(marks, guide);
    return { kind: "columns", n, x, y, guide, band, margin, plotW };
  }

  function drawHorizontal(root, w, height) {
    const values = spec.series[0] ? spec.series[0].values : [];
    const names = spec.labels.map(String);
    const left = Math.min(Math.round(w * 0.38), Math.max(...names.map(textWidth), 40) + 16);
    const valueLabels = values.map((v) => spec.value(v));
    const right = Math.max(...valueLabels.map((s) => s.length), 1) * 7 + 14;
    const plotW = Math.max(10, w - left - right);
    const max = Math.max(...values, 0) || 1;
    const rowH = 30;
    const group = svg("g", { class: "chart-series series-0", "data-points": values.length });
    names.forEach((name, i) => {
      const top = 8 + i * rowH;
      const label = svg("text", { x: left - 10, y: top + rowH / 2 + 4, "text-anchor": "end", class: "chart-name" });
      label.textContent = clip(name, left - 16);
      if (label.textContent !== name) label.append(svg("title", {}, document.createTextNode(name)));
      const barW = Math.max(2, (values[i] / max) * plotW);
      const bar = svg("rect", { class: ["chart-bar", spec.highlight === i && "chart-bar-own"].filter(Boolean).join(" "), x: left, y: top + 6, width: barW, height: rowH - 12, rx: 4 });
      const value = svg("text", { x: left + barW + 6, y: top + rowH / 2 + 4, class: "chart-value" });
      value.textContent = valueLabels[i];
      group.append(label, bar, value);
    });
    root.append(group);
    return { kind: "rows", n: names.length, rowH, left };
  }

  function pick(event, root) {
    if (!geometry || !geometry.n) return;
    const box = root.getBoundingClientRect();
    const px = event.clientX - box.left;
    const py = event.clientY - box.top;
    let index;
    if (geometry.kind === "rows") index = Math.floor((py - 8) / geometry.rowH);
    else {
      let best = Infinity;
      for (let i = 0; i < geometry.n; i += 1) {
        const distance = Math.abs(geometry.x(i) - px);
        if (distance < best) {
          best = distance;
          index = i;
        }
      }
    }
    show(index >= 0 && index < geometry.n ? index : -1);
  }

  function onKey(event) {
    if (!geometry || !geometry.n) return;
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      show(event.key === "Home" ? 0 : geometry.n - 1);
    } else if (step) {
      event.preventDefault();
      show(Math.min(geometry.n - 1, Math.max(0, (active < 0 ? (step > 0 ? -1 : geometry.n) : active) + step)));
    } else if (event.key === "Escape") show(-1);
  }

  function show(index) {
    active = index;
    const root = canvas.firstChild;
    if (!root || !geometry) return;
    for (const dot of root.querySelectorAll(".chart-dot.on, .chart-bar.on")) dot.classList.remove("on");
    if (index < 0) {
      tooltip.hidden = true;
      if (geometry.guide) geometry.guide.setAttribute("visibility", "hidden");
      return;
    }
    let anchorX;
    let anchorY;
    if (geometry.kind === "rows") {
      const bar = root.querySelectorAll(".chart-bar")[index];
      if (bar) bar.classList.add("on");
      anchorX = geometry.left + (bar ? Number(bar.getAttribute("width")) : 0);
      anchorY = 8 + index * geometry.rowH;
    } else {
      anchorX = geometry.x(index);
      anchorY = geometry.y(Math.max(...spec.series.map((series) => series.values[index] || 0)));
      geometry.guide.setAttribute("x1", anchorX);
      geometry.guide.setAttribute("x2", anchorX);
      geometry.guide.setAttribute("visibility", spec.kind === "bar" ? "hidden" : "visible");
      for (const group of root.querySelectorAll(".chart-series")) {
        const mark = group.querySelectorAll(spec.kind === "bar" ? ".chart-bar" : ".chart-dot")[index];
        if (mark) mark.classList.add("on");
      }
    }
    replaceChildren(tooltip,
      h("div", { class: "chart-tip-head", text: labelText(index, true) }),
      spec.series.map((series, s) => h("div", { class: "chart-tip-row" },
        spec.series.length > 1 ? h("span", { class: `chart-swatch series-${series.tone ?? s}`, "aria-hidden": "true" }) : null,
        h("span", { class: "chart-tip-name", text: series.name }),
        h("strong", { class: "chart-tip-value", text: spec.value(series.values[index]) }))));
    tooltip.hidden = false;
    const w = canvas.clientWidth;
    const tipW = tooltip.offsetWidth;
    const leftPx = Math.min(Math.max(0, anchorX + 12), Math.max(0, w - tipW));
    tooltip.style.left = `${Math.round(anchorX + 12 + tipW > w ? Math.max(0, anchorX - tipW - 12) : leftPx)}px`;
    tooltip.style.top = `${Math.round(Math.max(0, anchorY - 10))}px`;
  }

  return {
    el,
    update(next) {
      spec = { ...spec, ...next };
      active = -1;
      if (width || canvas.clientWidth) {
        width = width || Math.round(canvas.clientWidth);
        draw();
      }
    },
    destroy() {
      observer.disconnect();
    },
  };
}

// Widths for labels, measured once per font by a hidden canvas (CJK glyphs are twice as wide).
let measure = null;
function textWidth(text) {
  if (!measure) {
    measure = document.createElement("canvas").getContext("2d");
    if (measure) measure.font = `13px ${getComputedStyle(document.body).fontFamily}`;
  }
  return measure ? Math.ceil(measure.measureText(text).width) : text.length * 8;
}

function clip(text, room) {
  if (textWidth(text) <= room) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(`${chars.join("")}…`) > room) chars.pop();
  return `${chars.join("")}…`;
}
