/* Phone layout helpers (app.css, max-width 40rem): progressive enhancement, the pages work without it. */
(function () {
  "use strict";

  /* Staff on a phone: the main menu is one row that scrolls sideways. Bring the current page's item
     into view, so someone on a page far down the list sees where they are, not the first four links. */
  var current = document.querySelector('.site-header nav a[aria-current="page"]');
  var list = current && current.closest("ul");
  if (list && list.scrollWidth > list.clientWidth) {
    var item = current.parentElement;
    var left = item.offsetLeft - list.offsetLeft;
    if (left + item.offsetWidth > list.clientWidth) list.scrollLeft = left - (list.clientWidth - item.offsetWidth) / 2;
  }

  /* A patient's menu on a phone: one "Menu" button opens every link as a panel over the page (app.css
     shows the button below 600 px only). A disclosure, not a dialog: the links follow the button in
     the tab order; Escape, a tap elsewhere or tabbing out closes it. */
  var menuButton = document.querySelector(".site-header [data-menu-button]");
  if (menuButton) {
    var menuNav = menuButton.closest("nav");
    var setOpen = function (open) { menuButton.setAttribute("aria-expanded", open ? "true" : "false"); };
    var isOpen = function () { return menuButton.getAttribute("aria-expanded") === "true"; };
    setOpen(false);
    menuButton.hidden = false;
    menuNav.classList.add("menu-ready");
    menuButton.addEventListener("click", function () { setOpen(!isOpen()); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen()) {
        setOpen(false);
        menuButton.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (isOpen() && !menuNav.contains(event.target)) setOpen(false);
    });
    /* Tabbing on past the last link closes the panel, so it does not cover the page being read. */
    menuNav.addEventListener("focusout", function (event) {
      if (isOpen() && event.relatedTarget && !menuNav.contains(event.relatedTarget)) setOpen(false);
    });
  }

  /* Times on a patient's pages are on the patient's own clock (their time zone at the clinic). When the
     phone's clock is in another zone (travelling, or a phone set wrong), "14:00" would be misread: say
     which zone the times are in, and what time it is there now. Compared by the clock, not by the
     zone's name, so two names for one clock (America/Detroit, America/New_York) raise nothing. */
  var zoneNotice = document.querySelector("[data-zone-notice]");
  if (zoneNotice && window.Intl && Intl.DateTimeFormat) {
    var patientZone = zoneNotice.getAttribute("data-zone");
    var phoneZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    var now = new Date();  /* one instant for both clocks: a minute ticking between them is no difference */
    var clock = function (zone) {
      var options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
      if (zone) options.timeZone = zone;
      return new Intl.DateTimeFormat("en-GB", options).format(now);
    };
    var place = function (zone) { return zone.split("/").pop().replace(/_/g, " "); };
    try {
      if (patientZone && phoneZone && clock(patientZone) !== clock("")) {
        zoneNotice.querySelector("[data-phone-zone]").textContent = place(phoneZone);
        zoneNotice.querySelector("[data-zone-now]").textContent = new Intl.DateTimeFormat("en-GB", {
          timeZone: patientZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
        }).format(now);
        zoneNotice.hidden = false;
      }
    } catch (error) {
      /* A zone this browser does not know: say nothing rather than something wrong. */
    }
  }

  /* A link shown once (a support person's): copy it, or share it where the phone offers sharing. */
  document.querySelectorAll("[data-copy-actions]").forEach(function (actions) {
    var copy = actions.querySelector("[data-copy-from]");
    var share = actions.querySelector("[data-share-from]");
    var status = actions.querySelector("[data-copy-status]");
    var field = document.getElementById(copy.getAttribute("data-copy-from"));
    if (!field) return;
    if (navigator.clipboard) {
      actions.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          status.textContent = "Copied: paste it into a text or an e-mail to them.";
        }, function () {
          field.select();
          status.textContent = "Could not copy: the link is selected, copy it by hand.";
        });
      });
    }
    if (navigator.share && share) {
      actions.hidden = false;
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: "KetaCare link", url: field.value }).catch(function () {});
      });
    }
  });

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
