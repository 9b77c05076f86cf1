// Observable Plot, wrapped for the pages: Okabe-Ito colours, a <figure> with a <figcaption>, the plot's own aria
// label and description, and marks whose group carries the name the browser tests look for.
import * as Plot from "@observablehq/plot";
import {h} from "./dom.js";

// Okabe & Ito (2008), the colour-blind-safe palette. Colour is never the only cue: each role has a symbol, a dash
// pattern or a label of its own too.
export const colours = {
  orange: "#E69F00",
  sky: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  black: "#000000",
};

// Names a mark: its <g> gets this aria-label. Plot reads a mark's ariaLabel option as a channel (one label per
// element), so the group's label is set on the mark itself, which Plot then writes on the group.
export function named(name, mark) {
  mark.ariaLabel = name;
  return mark;
}

// Renders a plot into <figure class="gg-plot" data-plot="{name}"> with its caption. Plot adds a <style> element to
// each SVG; the page's Content-Security-Policy allows only ui.css, so that element is dropped before the SVG is in
// the document (ui.css has its rules for .gg-svg) and no style is ever refused.
export function figure({name, caption, options}) {
  const svg = Plot.plot({width: 640, height: 320, className: "gg-svg", figure: false, ...options});
  for (const style of svg.querySelectorAll("style")) style.remove();
  svg.setAttribute("role", "img");
  return h("figure", {class: "gg-plot", "data-plot": name}, svg, h("figcaption", null, caption));
}

// A nice domain for a linear scale over [low, high] (as Plot would make it), so that a band can reach its edge.
export function niceDomain(low, high) {
  return Plot.scale({y: {type: "linear", domain: [low, high], nice: true}}).domain;
}

// Whole-number ticks for an axis of counts (0 up to the largest, at most about 8 of them).
export function countTicks(values) {
  const max = Math.max(1, ...values.filter((v) => Number.isFinite(v)));
  const step = Math.max(1, Math.ceil(max / 8));
  const ticks = [];
  for (let t = 0; t <= max + step - 1 && ticks.length < 20; t += step) ticks.push(t);
  return ticks;
}

export {Plot};
