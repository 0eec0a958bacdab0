// paper-digest: small enhancements; every page works without this file.
(function () {
  "use strict";

  var assets = new URL(".", document.currentScript.src);

  // Search loads only when it is used: the box is focused, `/` is pressed or a ?q= is opened.
  var searchLoaded = false;
  function loadSearch() {
    if (searchLoaded) { return; }
    searchLoaded = true;
    ["search.js", "search-ui.js"].forEach(function (name) {
      var tag = document.createElement("script");
      tag.src = new URL(name, assets).href;
      tag.async = false; // run in order: the interface needs the engine
      document.head.appendChild(tag);
    });
  }
  var boxes = ["site-search", "search-page-q"].map(function (id) { return document.getElementById(id); });
  boxes.forEach(function (box) { if (box) { box.addEventListener("focus", loadSearch); } });
  if (document.getElementById("search-app")) {
    if (new URLSearchParams(window.location.search).get("q")) { loadSearch(); }
    if (boxes[1] && !window.location.hash) { boxes[1].focus(); }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    event.preventDefault();
    (boxes[1] || boxes[0]).focus();
  });

  // "Link to this page" copies the page's address; without JavaScript it stays a plain link.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var field = document.createElement("textarea");
      field.value = text;
      field.setAttribute("readonly", "");
      field.style.position = "fixed";
      field.style.opacity = "0";
      document.body.appendChild(field);
      field.select();
      var done = document.execCommand("copy");
      document.body.removeChild(field);
      if (done) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  document.querySelectorAll("a.copy-link").forEach(function (link) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = link.className;
    button.textContent = link.getAttribute("data-label") || "Copy link";
    if (link.hasAttribute("aria-label")) { button.setAttribute("aria-label", link.getAttribute("aria-label")); }
    var status = link.parentNode.querySelector(".copy-status");
    button.addEventListener("click", function () {
      var source = link.getAttribute("data-copy");
      var url = source ? document.getElementById(source).textContent
        : link.getAttribute("data-url") || link.href;
      copyText(url).then(
        function () { if (status) { status.textContent = link.getAttribute("data-done") || "Link copied"; } },
        function () { if (status) { status.textContent = source ? "Select the entry above to copy it" : url; } }
      );
    });
    link.replaceWith(button);
  });
})();
