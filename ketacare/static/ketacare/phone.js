/* Phones: the main menu is one row that scrolls sideways (app.css). Bring the current page's item into
   view, so a patient on "My clinic" sees where they are instead of the first four links. */
(function () {
  "use strict";
  var current = document.querySelector('.site-header nav a[aria-current="page"]');
  if (!current) return;
  var list = current.closest("ul");
  if (!list || list.scrollWidth <= list.clientWidth) return;
  var item = current.parentElement;
  var left = item.offsetLeft - list.offsetLeft;
  if (left + item.offsetWidth > list.clientWidth) list.scrollLeft = left - (list.clientWidth - item.offsetWidth) / 2;
})();
