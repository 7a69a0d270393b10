/* Phone layout helpers (app.css, max-width 40rem): progressive enhancement, the pages work without it. */
(function () {
  "use strict";

  /* The main menu is one row that scrolls sideways. Bring the current page's item into view, so a
     patient on "My clinic" sees where they are instead of the first four links. */
  var current = document.querySelector('.site-header nav a[aria-current="page"]');
  var list = current && current.closest("ul");
  if (list && list.scrollWidth > list.clientWidth) {
    var item = current.parentElement;
    var left = item.offsetLeft - list.offsetLeft;
    if (left + item.offsetWidth > list.clientWidth) list.scrollLeft = left - (list.clientWidth - item.offsetWidth) / 2;
  }

  /* Data tables become one block per row on a phone and their header row is hidden: give each cell
     its column's heading (shown before it by app.css), so "gone by 19 hours" keeps its label. */
  document.querySelectorAll("table.data").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    if (!heads.length) return;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        var head = heads[index];
        var label = head ? head.textContent.trim() : "";
        if (label && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", label);
      });
    });
  });
})();
