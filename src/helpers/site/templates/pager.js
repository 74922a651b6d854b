/* The site's table pager: filter, page and sort the long tables of a page.
   A table inside an element with the class "paged-table" shows, without this
   script, its first rows (those without the class "rest") and a note
   (".paged-note"); with it, a filter box, pages of that many rows and sortable
   columns. Inlined into the pages that have such a table: nothing is fetched. */
(function () {
  "use strict";

  function number(text) {
    // "$1.2m", "-$250k", "57%", "1,234", "0.85": a number; anything else: null
    var t = text.replace(/[,\s]/g, "").replace(/^[\u2212\u2013]/, "-");
    var m = /^(-?)[$\u20ac\u00a3]?(-?)(\d+(?:\.\d+)?)(bn|k|m|%)?$/i.exec(t);
    if (!m) return null;
    var scale = { k: 1e3, m: 1e6, bn: 1e9 }[(m[4] || "").toLowerCase()] || 1;
    return (m[1] || m[2] ? -1 : 1) * parseFloat(m[3]) * scale;
  }

  function compare(a, b) {
    var x = number(a), y = number(b);
    if (x !== null && y !== null) return x - y;
    if (x !== null) return -1; // figures before dashes and words
    if (y !== null) return 1;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function setUp(box) {
    var table = box.querySelector("table");
    if (!table || !table.tBodies.length || box.classList.contains("paged")) return;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var size = rows.filter(function (r) { return !r.classList.contains("rest"); }).length;
    size = Math.max(size, 10);
    var texts = new Map(rows.map(function (r) { return [r, r.textContent.toLowerCase()]; }));
    var matched = rows, page = 0;

    var bar = document.createElement("div");
    bar.className = "table-pager no-print";
    var filter = document.createElement("input");
    filter.type = "search";
    filter.placeholder = "Filter " + rows.length.toLocaleString("en") + " rows";
    filter.setAttribute("aria-label", "Filter the rows of this table");
    var previous = document.createElement("button");
    previous.type = "button";
    previous.textContent = "\u2039 Previous";
    var status = document.createElement("span");
    status.className = "table-pager-status";
    status.setAttribute("aria-live", "polite");
    var next = document.createElement("button");
    next.type = "button";
    next.textContent = "Next \u203a";
    bar.append(filter, previous, status, next);
    table.parentNode.insertBefore(bar, table);
    box.classList.add("paged");

    function pages() { return Math.max(1, Math.ceil(matched.length / size)); }

    function show() {
      page = Math.min(Math.max(page, 0), pages() - 1);
      var first = page * size, last = Math.min(first + size, matched.length);
      var visible = new Set(matched.slice(first, last));
      rows.forEach(function (r) { r.style.display = visible.has(r) ? "table-row" : "none"; });
      status.textContent = matched.length
        ? "Rows " + (first + 1).toLocaleString("en") + "\u2013" + last.toLocaleString("en") +
          " of " + matched.length.toLocaleString("en") +
          (matched.length < rows.length ? " matching (" + rows.length.toLocaleString("en") + " in all)" : "") +
          ", page " + (page + 1) + " of " + pages()
        : "No row matches \u201c" + filter.value + "\u201d";
      previous.disabled = page === 0;
      next.disabled = page >= pages() - 1;
    }

    function applyFilter() {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      matched = rows.filter(function (r) {
        var text = texts.get(r);
        return words.every(function (w) { return text.indexOf(w) !== -1; });
      });
      page = 0;
      show();
    }

    filter.addEventListener("input", applyFilter);
    previous.addEventListener("click", function () { page -= 1; show(); });
    next.addEventListener("click", function () { page += 1; show(); });

    Array.prototype.forEach.call(table.tHead ? table.tHead.rows[0].cells : [], function (th, column) {
      th.classList.add("sortable");
      th.tabIndex = 0;
      th.title = "Sort by this column";
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var cell = function (r) { return r.cells[column] ? r.cells[column].textContent.trim() : ""; };
        rows.sort(function (a, b) { return (ascending ? 1 : -1) * compare(cell(a), cell(b)); });
        rows.forEach(function (r) { body.appendChild(r); });
        applyFilter();
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });

    box.reveal = function (row) {
      // open the page holding ``row`` (a link to it, e.g. #decision-<id>), filter cleared
      filter.value = "";
      matched = rows;
      page = Math.floor(rows.indexOf(row) / size);
      show();
    };
    show();
  }

  function revealTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    var row = target && target.closest && target.closest("tr");
    var box = row && row.closest(".paged-table");
    if (box && box.reveal) {
      box.reveal(row);
      target.scrollIntoView();
    }
  }

  document.querySelectorAll(".paged-table").forEach(setUp);
  revealTarget();
  window.addEventListener("hashchange", revealTarget);
})();
