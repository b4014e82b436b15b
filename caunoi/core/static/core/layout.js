// The page's own behaviours, loaded in <head> without defer (small, no framework, no inline
// script: the CSP forbids it): the phone menu of the header, and the form error summary.
(function () {
  "use strict";
  // Known before the header is drawn: with JavaScript the phone menu starts folded, without it
  // the menu stays open (caunoi.css).
  document.documentElement.classList.add("js");

  function setOpen(toggle, open) {
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (menu) { menu.classList.toggle("open", open); }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    var toggle = event.target.closest(".menu-toggle");
    if (toggle) {
      setOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
      return;
    }
    // A link of the error summary: go to the field, its label in sight, the input focused.
    var link = event.target.closest(".error-summary a[href^='#']");
    if (link) {
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) { return; }
      event.preventDefault();
      var field = input.closest(".field") || input;
      field.scrollIntoView({block: "start"});
      input.focus({preventScroll: true});
    }
  });

  // Escape folds the open menu and gives the focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var toggle = document.querySelector(".menu-toggle[aria-expanded=true]");
    if (toggle) {
      setOpen(toggle, false);
      toggle.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // The menu says where the person is: the link of this page, or of its section.
    var path = window.location.pathname, here = null;
    document.querySelectorAll(".top nav a").forEach(function (link) {
      var href = link.getAttribute("href");
      var inside = href === "/" ? path === "/" : path.indexOf(href) === 0;
      if (inside && (!here || href.length > here.getAttribute("href").length)) { here = link; }
    });
    if (here) { here.setAttribute("aria-current", here.getAttribute("href") === path ? "page" : "true"); }
    // A form came back with errors: bring the summary to the eyes and to a screen reader.
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
