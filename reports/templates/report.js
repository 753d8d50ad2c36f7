(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var q = document.getElementById("q");
  var fStatus = document.getElementById("f-status");
  var fSev = document.getElementById("f-sev");
  var counter = document.getElementById("match-count");
  var rules = Array.prototype.slice.call(document.querySelectorAll("article.rule"));

  function apply() {
    var text = (q.value || "").toLowerCase();
    var status = fStatus.value;
    var sev = fSev.value;
    var shown = 0;
    rules.forEach(function (rule) {
      var rows = rule.querySelectorAll("tr.finding");
      var visible = 0;
      rows.forEach(function (row) {
        var ok = (!status || row.getAttribute("data-status") === status) &&
          (!sev || row.getAttribute("data-severity") === sev) &&
          (!text || (rule.getAttribute("data-rule") + " " + row.textContent).toLowerCase().indexOf(text) !== -1);
        row.classList.toggle("hidden", !ok);
        if (ok) { visible += 1; }
      });
      var filtering = Boolean(text || status || sev);
      rule.classList.toggle("hidden", filtering && visible === 0);
      shown += visible;
    });
    counter.textContent = (text || status || sev) ? shown + " matching results" : "";
  }

  [q, fStatus, fSev].forEach(function (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); });

  function cellValue(row, index) {
    var cell = row.children[index];
    var t = cell ? cell.textContent.trim() : "";
    var n = Number(t);
    return t !== "" && !isNaN(n) ? n : t.toLowerCase();
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, index) {
      th.setAttribute("tabindex", "0");
      th.setAttribute("title", "Sort by this column");
      function sort() {
        var asc = !th.classList.contains("sort-asc");
        heads.forEach(function (h) { h.classList.remove("sort-asc", "sort-desc"); h.removeAttribute("aria-sort"); });
        th.classList.add(asc ? "sort-asc" : "sort-desc");
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  });
})();
