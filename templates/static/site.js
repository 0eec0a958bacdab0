// paper-digest: small enhancements; every page works without this file.
(function () {
  "use strict";

  var assets = new URL(".", document.currentScript.src);
  // A link to a paper's page, its slug caught: builder/urls.py's pattern, which the build writes
  // in as it copies this file into the site.
  var PAPER_URL = /* paper-digest: paper-url */ null;
  var PAPER_LINK = new RegExp(
    PAPER_URL.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&").replace("\\{key\\}", "([a-z0-9-]+)") + "$"
  );

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
  if (document.getElementById("saved-app")) {
    var tag = document.createElement("script");
    tag.src = new URL("saved.js", assets).href;
    document.head.appendChild(tag);
  }
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

  // Save text as a file named `name` (made here: no request).
  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
  function statusSpan() {
    var status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    return status;
  }
  function actionButton(label, action) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = label;
    button.addEventListener("click", action);
    return button;
  }

  // A paper's BibTeX entry (shown on its page): copy it, or save it as <slug>.bib.
  var entry = document.getElementById("bibtex");
  var cited = document.querySelector("article.paper[data-slug]");
  if (entry && cited) {
    var citeStatus = statusSpan();
    var citeActions = document.createElement("p");
    citeActions.className = "actions";
    citeActions.append(
      actionButton("Copy BibTeX", function () {
        copyText(entry.textContent).then(
          function () { citeStatus.textContent = "BibTeX copied"; },
          function () { citeStatus.textContent = "Select the entry above to copy it"; }
        );
      }),
      citeStatus,
      actionButton("Download .bib", function () {
        download(cited.getAttribute("data-slug") + ".bib", "application/x-bibtex", entry.textContent);
      })
    );
    entry.parentNode.after(citeActions);
  }

  // The reading list: a star on every card and paper page keeps the paper in this browser
  // (localStorage, one list per site folder). Where storage is refused, no star is shown.
  var root = new URL("..", assets);
  var listKey = "paper-digest:saved:" + root.pathname;
  var SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
  var storage = (function () {
    try {
      var probe = "paper-digest:probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (error) { return null; }
  })();
  function readSaved() {
    if (!storage) { return []; }
    try {
      var list = JSON.parse(storage.getItem(listKey) || "[]");
      return Array.isArray(list) ? list.filter(validItem) : [];
    } catch (error) { return []; }
  }
  function validItem(item) {
    return !!item && typeof item.slug === "string" && SLUG.test(item.slug) &&
      typeof item.title === "string" && item.title.length <= 5000;
  }
  function writeSaved(list) { storage.setItem(listKey, JSON.stringify(list)); }
  function toggleSaved(slug, title) {
    var list = readSaved();
    var kept = list.filter(function (item) { return item.slug !== slug; });
    var adding = kept.length === list.length; // it was not there: save it
    if (adding) { kept.unshift({ slug: slug, title: title, saved: new Date().toISOString() }); }
    writeSaved(kept);
    return adding;
  }
  function paintStar(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "\u2605" : "\u2606";
    button.title = on ? "Saved: click to remove from your list" : "Save to your reading list";
  }
  function star(slug, title, saved) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "star";
    button.setAttribute("data-slug", slug);
    button.setAttribute("aria-label", "Save " + title);
    paintStar(button, saved[slug] === true);
    button.addEventListener("click", function () {
      try { paintStar(button, toggleSaved(slug, title)); } catch (error) { button.disabled = true; }
      document.dispatchEvent(new CustomEvent("paper-digest:saved"));
    });
    return button;
  }
  function addStars(scope) {
    if (!storage) { return; }
    var saved = {};
    readSaved().forEach(function (item) { saved[item.slug] = true; });
    scope.querySelectorAll(".card-title").forEach(function (heading) {
      var link = heading.querySelector("a");
      var found = link && PAPER_LINK.exec(link.getAttribute("href") || "");
      if (!found || heading.parentNode.querySelector(".star")) { return; }
      heading.parentNode.insertBefore(star(found[1], link.textContent, saved), heading);
    });
    var article = scope.querySelector("article.paper[data-slug]");
    if (article && !article.querySelector(".star")) {
      var title = article.querySelector("h1");
      title.parentNode.insertBefore(star(article.getAttribute("data-slug"), title.textContent, saved), title);
    }
  }
  window.PaperDigestSaved = {
    available: !!storage, read: readSaved, write: writeSaved, valid: validItem,
    addStars: addStars, root: root.href, download: download
  };
  addStars(document);

  document.querySelectorAll("a.copy-link").forEach(function (link) {
    var button = document.createElement("button");
    button.type = "button";
    // A list of many (feeds.html) says once, on the list, what its buttons are called.
    var list = link.closest("[data-label]");
    function said(name) { return link.getAttribute(name) || (list && list.getAttribute(name)); }
    button.className = /\bbutton\b/.test(link.className) ? link.className : "button " + link.className;
    button.textContent = said("data-label") || "Copy link";
    var named = list && link.parentNode.querySelector("a:not(.copy-link)");
    if (named) { button.setAttribute("aria-label", button.textContent + " of the feed of " + named.textContent); }
    var status = link.parentNode.querySelector(".copy-status");
    if (!status) {
      status = statusSpan();
      link.after(status);
    }
    button.addEventListener("click", function () {
      var source = link.getAttribute("data-copy");
      var url = source ? document.getElementById(source).textContent
        : link.getAttribute("data-url") || link.href;
      copyText(url).then(
        function () { if (status) { status.textContent = said("data-done") || "Link copied"; } },
        function () { if (status) { status.textContent = source ? "Select the entry above to copy it" : url; } }
      );
    });
    link.replaceWith(button);
  });
})();
