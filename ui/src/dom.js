// Small DOM helpers. Text is always set as text (never as HTML): everything shown comes from FHIR resources.

// h("p", {class: "x", "data-col": "value"}, child, ...): an element with attributes and children. A child that is
// a string or number becomes a text node; null, undefined and false are skipped; arrays are flattened.
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value == null || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

// A unique id for an element (several patients' plots share a prefix in the offline report).
let counter = 0;
export function uid(stem) {
  counter += 1;
  return `gg-${String(stem).replace(/[^A-Za-z0-9_-]/g, "-")}-${counter}`;
}

// A table with a caption: columns are [{name, label, header?}], rows are {observation, cells: {name: value}, attrs}.
// Each body row carries data-observation (the Observation id or empty) and each cell data-col; the first column is
// the row header (th scope="row"). A cell value is shown as text (see format.js cell), or as the node given.
export function table({name, caption, columns, rows, empty}) {
  const head = h("thead", null, h("tr", null, columns.map((c) => h("th", {scope: "col", "data-col": c.name}, c.label))));
  const body = h("tbody");
  for (const row of rows) {
    const tr = h("tr", {"data-observation": row.observation ?? "", ...(row.attrs ?? {})});
    columns.forEach((c, i) => {
      const value = row.cells[c.name];
      const cell = i === 0 ? h("th", {scope: "row", "data-col": c.name}) : h("td", {"data-col": c.name});
      if (value instanceof Node) cell.append(value);
      else cell.textContent = value ?? "";
      if (c.numeric) cell.classList.add("gg-num");
      tr.append(cell);
    });
    body.append(tr);
  }
  const result = h("table", {class: "gg-table", "data-table": name}, h("caption", null, caption), head, body);
  if (rows.length === 0 && empty) {
    body.append(h("tr", {class: "gg-empty"}, h("td", {colspan: columns.length}, empty)));
  }
  return h("div", {class: "gg-table-wrap"}, result);
}

// A definition list from [[term, value, attributes for the dd]].
export function definitions(items, attributes) {
  return h("dl", attributes, items.map(([term, value, dd]) => [h("dt", null, term), h("dd", dd, value ?? "")]));
}
