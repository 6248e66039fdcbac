"use strict";
// Draw every chart from its Vega-Lite spec, as SVG (no canvas, no fonts to fetch), with
// no action links (they would lead off the page).
(function drawCharts() {
  const specs = JSON.parse(document.getElementById("chart-specs").textContent);
  const options = { mode: "vega-lite", renderer: "svg", actions: false };
  for (const [id, spec] of Object.entries(specs)) {
    const element = document.getElementById(id);
    if (!element) continue;
    vegaEmbed(element, spec, options).catch((error) => {
      console.error("chart " + id + " could not be drawn: " + error);
      element.textContent = "chart could not be drawn: " + error;
    });
  }
})();

// The violations table: sort by a column, filter by text and by each selector (kind, rule,
// owner; change in a diff), and open a
// row to its lead's timeline. Each violation is a <tbody>, so its timeline row moves with it.
(function violationsTable() {
  const table = document.getElementById("violations");
  if (!table) return;
  const bodies = () => Array.from(table.tBodies);
  const headers = Array.from(table.tHead.rows[0].cells);

  function cellValue(body, column, kind) {
    const cell = body.rows[0].cells[column];
    const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
    return kind === "number" ? Number(raw) : raw;
  }

  headers.forEach((header, column) => {
    const kind = header.dataset.sort;
    if (!kind) return;
    header.addEventListener("click", () => {
      const ascending = header.getAttribute("aria-sort") !== "ascending";
      headers.forEach((h) => h.removeAttribute("aria-sort"));
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const sorted = bodies().sort((a, b) => {
        const x = cellValue(a, column, kind), y = cellValue(b, column, kind);
        const order = kind === "number" ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      sorted.forEach((body) => table.appendChild(body));
    });
  });

  const text = document.getElementById("filter-text");
  const selects = Array.from(document.querySelectorAll("select[data-filter]"));
  const counter = document.getElementById("filter-count");
  function applyFilters() {
    const needle = text.value.trim().toLowerCase();
    let shown = 0;
    for (const body of bodies()) {
      let visible = !needle || body.textContent.toLowerCase().includes(needle);
      for (const select of selects) {
        if (select.value && body.dataset[select.dataset.filter] !== select.value) visible = false;
      }
      body.hidden = !visible;
      if (visible) shown += 1;
    }
    counter.textContent = shown + " of " + bodies().length + " shown";
  }
  text.addEventListener("input", applyFilters);
  selects.forEach((select) => select.addEventListener("change", applyFilters));
  applyFilters();

  table.addEventListener("click", (event) => {
    const button = event.target.closest("button.expand");
    if (!button) return;
    const body = button.closest("tbody");
    const open = body.querySelector("tr.timeline");
    if (open) {
      open.remove();
      button.setAttribute("aria-expanded", "false");
      button.textContent = "▸";
      return;
    }
    const template = document.getElementById("timeline-" + button.dataset.timeline);
    const row = document.createElement("tr");
    row.className = "timeline";
    const cell = document.createElement("td");
    cell.colSpan = headers.length;
    cell.appendChild(template.content.cloneNode(true));
    row.appendChild(cell);
    body.appendChild(row);
    button.setAttribute("aria-expanded", "true");
    button.textContent = "▾";
  });
})();
