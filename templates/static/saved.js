// paper-digest: the reading list page. Saved papers live in localStorage (site.js keeps
// them); this page lists them, exports and imports them, and recommends papers from the
// related lists the build computed (assets/library/<n>.js, loaded for the papers shown).
(function () {
  "use strict";

  // The reading list's files and a paper's page, as builder/library.py and builder/urls.py have
  // them: the build writes them in as it copies this file into the site.
  var LIBRARY = /* paper-digest: library */ null;
  var PAPER_URL = /* paper-digest: paper-url */ null;
  var FORMAT = LIBRARY.format;
  var EXPORT = "paper-digest-saved";
  var RECOMMEND = 10;
  var MAX_IMPORT = 5 * 1024 * 1024;
  var saved = window.PaperDigestSaved;
  var app = document.getElementById("saved-app");
  var status = document.getElementById("saved-status");
  var list = document.getElementById("saved-list");
  var tools = app.querySelector(".saved-tools");
  var section = document.getElementById("recommended");
  var suggestions = document.getElementById("recommended-list");
  var chunks = parseInt(app.getAttribute("data-chunks"), 10) || 1;
  var root = saved ? saved.root : new URL("..", document.currentScript.src).href;
  var library = new URL(LIBRARY.folder, root).href;

  // Chunks arrive as scripts that call PaperDigestLibrary.receive (fetch is refused on file://).
  var loaded = {};
  var hashed = {}; // chunk -> {its slugs' hashes: slug}
  var waiting = {};
  window.PaperDigestLibrary = {
    receive: function (head, papers) {
      if (head.format !== FORMAT) { return; }
      loaded[head.chunk] = papers;
      hashed[head.chunk] = {};
      Object.keys(papers).forEach(function (slug) { hashed[head.chunk][fnv1a(slug)] = slug; });
      (waiting[head.chunk] || []).forEach(function (done) { done[0](papers); });
      delete waiting[head.chunk];
    }
  };
  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var value = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      value ^= bytes[i];
      value = Math.imul(value, 0x01000193) >>> 0;
    }
    return value >>> 0;
  }
  function chunkOf(slug) { return fnv1a(slug) % chunks; }
  function load(number) {
    if (loaded[number]) { return Promise.resolve(loaded[number]); }
    return new Promise(function (resolve, reject) {
      var first = !waiting[number];
      (waiting[number] = waiting[number] || []).push([resolve, reject]);
      if (!first) { return; }
      var tag = document.createElement("script");
      tag.src = library + number + ".js";
      tag.onerror = function () {
        (waiting[number] || []).forEach(function (done) { done[1](new Error("missing " + tag.src)); });
        delete waiting[number];
      };
      document.head.appendChild(tag);
    });
  }
  // A related paper is named by its slug's hash (a number, which says its chunk too), or by
  // its slug where two slugs share a hash: the slug of either, once its chunk is here.
  function slugOf(id) {
    if (typeof id === "string") { return id; }
    return (hashed[id % chunks] || {})[id];
  }
  function chunkOfId(id) { return typeof id === "string" ? chunkOf(id) : id % chunks; }
  function entries(slugs) {
    var numbers = {};
    slugs.forEach(function (slug) { numbers[chunkOfId(slug)] = true; });
    return Promise.all(Object.keys(numbers).map(function (n) { return load(+n); })).then(function () {
      var found = {};
      slugs.forEach(function (id) {
        var slug = slugOf(id);
        var papers = loaded[chunkOfId(id)] || {};
        if (slug && Object.prototype.hasOwnProperty.call(papers, slug)) { found[slug] = papers[slug]; }
      });
      return found;
    });
  }

  function say(text) { status.textContent = text; }
  function paperUrl(slug) { return new URL(PAPER_URL.replace("{key}", slug), root).href; }
  function row(slug, title, extra) {
    var item = document.createElement("li");
    item.className = "card row";
    var article = document.createElement("article");
    var heading = document.createElement("h3");
    heading.className = "card-title";
    var link = document.createElement("a");
    link.href = paperUrl(slug);
    link.textContent = title;
    heading.appendChild(link);
    article.appendChild(heading);
    if (extra) { article.appendChild(extra); }
    item.appendChild(article);
    return item;
  }

  function show() {
    var items = saved.read();
    list.textContent = "";
    tools.hidden = false;
    if (!items.length) {
      say("No saved papers yet. Star a paper (\u2606) on any card or paper page to keep it here.");
      section.hidden = true;
      return Promise.resolve();
    }
    say(items.length + " saved paper" + (items.length === 1 ? "" : "s") + ".");
    return entries(items.map(function (i) { return i.slug; })).then(function (found) {
      list.textContent = "";
      items.forEach(function (item) {
        var known = found[item.slug];
        var note = null;
        if (!known) {
          note = document.createElement("p");
          note.className = "meta";
          note.textContent = "Not in this site any more.";
        }
        list.appendChild(row(item.slug, known ? known[0] : item.title, note));
      });
      saved.addStars(list);
      return recommend(items, found);
    }).catch(function (error) { say("Could not load the saved papers' data: " + error.message); });
  }

  // Score every related paper by the sum of its cosines with the saved papers that list it
  // (keyed "#<hash>" or by slug, as the chunks name it).
  function recommend(items, found) {
    var mine = {};
    items.forEach(function (i) {
      mine[i.slug] = true;
      if (found[i.slug]) { mine["#" + fnv1a(i.slug)] = true; } // in the site: its hash is its own
    });
    var score = {};
    var ids = {};
    Object.keys(found).forEach(function (slug) {
      (found[slug][2] || []).forEach(function (pair) {
        var key = typeof pair[0] === "number" ? "#" + pair[0] : pair[0];
        if (!mine[key]) { score[key] = (score[key] || 0) + pair[1]; ids[key] = pair[0]; }
      });
    });
    var best = Object.keys(score).sort(function (a, b) {
      return score[b] - score[a] || (a < b ? -1 : a > b ? 1 : 0);
    }).slice(0, RECOMMEND).map(function (key) { return ids[key]; });
    if (!best.length) { section.hidden = true; return Promise.resolve(); }
    return entries(best).then(function (papers) {
      suggestions.textContent = "";
      best.forEach(function (id) {
        var slug = slugOf(id);
        if (slug && papers[slug]) { suggestions.appendChild(row(slug, papers[slug][0])); }
      });
      saved.addStars(suggestions);
      section.hidden = !suggestions.children.length;
    });
  }

  function download(name, type, text) { saved.download(name, type, text); }
  function exportJson() {
    var body = { format: EXPORT, version: 1, site: root, saved: saved.read() };
    download("saved-papers.json", "application/json", JSON.stringify(body, null, 2) + "\n");
    say("Exported " + body.saved.length + " saved papers as JSON.");
  }
  function exportBib() {
    var items = saved.read();
    entries(items.map(function (i) { return i.slug; })).then(function (found) {
      var bib = items.filter(function (i) { return found[i.slug]; })
        .map(function (i) { return found[i.slug][1]; }).join("\n");
      download("saved-papers.bib", "application/x-bibtex", bib);
      say("Exported " + items.length + " saved papers as BibTeX.");
    });
  }
  function importJson(file) {
    if (file.size > MAX_IMPORT) { say("That file is too big to be a saved list (over 5 MB)."); return; }
    var reader = new FileReader();
    reader.onload = function () {
      var data;
      try { data = JSON.parse(reader.result); } catch (error) { say("That file is not JSON: " + error.message); return; }
      if (!data || data.format !== EXPORT || !Array.isArray(data.saved)) {
        say("That file is not a saved list exported from this page.");
        return;
      }
      var items = saved.read();
      var have = {};
      items.forEach(function (i) { have[i.slug] = true; });
      var added = 0;
      var skipped = 0;
      data.saved.forEach(function (item) {
        if (!saved.valid(item)) { skipped++; return; }
        if (have[item.slug]) { return; }
        have[item.slug] = true;
        items.push({ slug: item.slug, title: String(item.title), saved: String(item.saved || "") });
        added++;
      });
      try { saved.write(items); } catch (error) { say("The browser refused to store the list: " + error.message); return; }
      show().then(function () {
        say("Imported " + added + " paper" + (added === 1 ? "" : "s") + (skipped ? ", skipped " + skipped + " that were not valid" : "") + "; " + items.length + " saved.");
      });
    };
    reader.readAsText(file);
  }

  if (!saved || !saved.available) {
    say("This browser does not let pages store anything here (storage is off or blocked), so the reading list cannot be kept. Everything else works.");
    return;
  }
  document.getElementById("saved-export-json").addEventListener("click", exportJson);
  document.getElementById("saved-export-bib").addEventListener("click", exportBib);
  document.getElementById("saved-import").addEventListener("change", function (event) {
    if (event.target.files && event.target.files[0]) { importJson(event.target.files[0]); }
    event.target.value = "";
  });
  document.addEventListener("paper-digest:saved", function () { show(); });
  show();
})();
