// paper-digest search interface: live results on search.html and under the header box.
// Loaded by site.js on first use. Every string from the data goes in as text, never as HTML.
(function () {
  "use strict";

  var engine = window.PaperDigestSearch;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var DEBOUNCE_MS = 120;
  var PAGE_SIZE = 50; // results added at a time on the search page
  var FIRST = 5; // of which shown as soon as they are here (a screenful), before the rest
  var POP_SIZE = 6; // results under the header box
  var SNIPPET = 260; // characters of abstract around the match

  var app = document.getElementById("search-app");
  var box = document.getElementById("site-search");
  var searchPage = box ? box.form.getAttribute("action") : "search.html";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function appendPieces(parent, pieces) {
    pieces.forEach(function (piece) {
      parent.appendChild(piece.hit ? el("mark", "", piece.text) : document.createTextNode(piece.text));
    });
  }

  function longDate(iso) {
    var parts = iso.split("-");
    return MONTHS[+parts[1] - 1] + " " + +parts[2] + ", " + parts[0];
  }

  function plural(n, word) {
    return n.toLocaleString("en-US") + " " + word + (n === 1 ? "" : "s");
  }

  function matchCount(n) {
    return plural(n, "paper") + (n === 1 ? " matches" : " match");
  }

  function metaLine(result) {
    var meta = el("p", "meta");
    if (result.byline) { meta.appendChild(el("span", "m", result.byline)); }
    if (result.day) {
      var when = el("span", "m");
      var time = el("time", "", longDate(result.day));
      time.setAttribute("datetime", result.day);
      if (!result.dated) {
        var listed = el("span", "listed", "listed ");
        listed.appendChild(time);
        when.appendChild(listed);
      } else {
        when.appendChild(time);
      }
      meta.appendChild(when);
    }
    if (result.upvotes !== null) {
      var votes = el("span", "votes", String(result.upvotes));
      var cell = el("span", "m");
      cell.appendChild(votes);
      meta.appendChild(cell);
    }
    return meta;
  }

  // One result as a card: linked title, byline, date, upvotes and (if asked) a snippet.
  function resultCard(result, heading, withSnippet) {
    var item = el("li", "card result");
    var article = el("article");
    var title = el(heading, "card-title");
    var link = el("a", "result-link");
    link.href = result.url;
    appendPieces(link, engine.highlight(result.title, result.terms));
    title.appendChild(link);
    article.appendChild(title);
    article.appendChild(metaLine(result));
    if (withSnippet && result.text) {
      var text = el("p", "excerpt");
      appendPieces(text, engine.snippet(result.text, result.terms, SNIPPET));
      article.appendChild(text);
    }
    item.appendChild(article);
    return item;
  }

  // Arrow keys move between the result links of `list`; up from the first goes back to `input`.
  function arrowKeys(input, list) {
    function links() { return Array.prototype.slice.call(list.querySelectorAll("a.result-link, a.pop-all")); }
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && links().length) {
        event.preventDefault();
        links()[0].focus();
      }
    });
    list.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") { return; }
      var all = links();
      var at = all.indexOf(document.activeElement);
      if (at < 0) { return; }
      event.preventDefault();
      var next = at + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0) { input.focus(); } else if (next < all.length) { all[next].focus(); }
    });
  }

  // Run at once on the first keystroke; while typing goes on, at most every DEBOUNCE_MS, and
  // once more after the last keystroke.
  function eager(fn) {
    var timer = null;
    var again = false;
    function tick() {
      timer = null;
      if (again) {
        again = false;
        fn();
        timer = setTimeout(tick, DEBOUNCE_MS);
      }
    }
    return function () {
      if (timer) {
        again = true;
        return;
      }
      fn();
      timer = setTimeout(tick, DEBOUNCE_MS);
    };
  }

  function loadFailed(status, error) {
    status.textContent = "The search index could not be loaded (" + error.message + "). " +
      "Browse by month, organization or topic instead.";
  }

  // search.html: the full result list, its sort order and the query in the address.
  function searchApp() {
    var input = document.getElementById("search-page-q");
    var sort = document.getElementById("search-sort");
    var status = document.getElementById("search-status");
    var notice = document.getElementById("search-notice");
    var list = document.getElementById("search-results");
    var more = document.getElementById("search-more");
    var params = new URLSearchParams(window.location.search);
    var answer = null;
    var shown = 0;
    input.value = params.get("q") || input.value;
    var orders = Array.prototype.map.call(sort.options, function (o) { return o.value; });
    if (orders.indexOf(params.get("sort")) >= 0) { sort.value = params.get("sort"); }

    // Put the query and order shown into the address (not what the box holds by now).
    function remember(shownQuery, shownSort) {
      var query = new URLSearchParams();
      if (shownQuery.trim()) { query.set("q", shownQuery.trim()); }
      if (shownSort !== "relevance") { query.set("sort", shownSort); }
      var search = query.toString();
      try {
        window.history.replaceState(null, "", search ? "?" + search : window.location.pathname);
      } catch (error) {
        // Some browsers refuse to change a file:// address; the results still show.
      }
    }

    // Add results `shown` to `end` to the list (once their records are here).
    function add(current, end) {
      return engine.page(current, shown, end, function (item) {
        if (current !== answer) { return; } // a newer query took over
        var card = resultCard(item, "h2", true);
        list.appendChild(card);
        if (window.PaperDigestSaved) { window.PaperDigestSaved.addStars(card); }
      }).then(function (items) {
        if (current !== answer) { return; }
        shown += items.length;
        more.hidden = shown >= current.total;
        more.textContent = "Show " + Math.min(PAGE_SIZE, current.total - shown) + " more";
      });
    }

    function showMore() {
      var current = answer;
      var end = Math.min(current.total, shown + PAGE_SIZE);
      list.setAttribute("aria-busy", "true");
      // The first few show as soon as they are here; the rest of the page follows.
      var first = shown === 0 ? Math.min(end, FIRST) : end;
      return add(current, first).then(function () {
        return current === answer && shown < end ? add(current, end) : null;
      }).then(function () {
        if (current === answer) { list.setAttribute("aria-busy", "false"); }
      }, function (error) {
        if (current === answer) { loadFailed(status, error); }
      });
    }

    function fuzzyButton(query) {
      var button = el("button", "link-button", "Try a fuzzy search: " + query);
      button.type = "button";
      button.addEventListener("click", function () {
        input.value = query;
        run();
        input.focus();
      });
      return button;
    }

    var asked = 0;
    function run() {
      var ask = ++asked;
      var asking = input.value;
      var order = sort.value;
      engine.search(asking, order).then(function (found) {
        if (ask !== asked) { return; } // a newer query took over
        answer = found;
        list.textContent = "";
        list.setAttribute("data-query", asking); // what the list shows (for scripts and tests)
        shown = 0;
        more.hidden = true;
        notice.textContent = found.notice;
        notice.hidden = !found.notice;
        var query = found.searched;
        return showMore().then(function () {
          if (ask !== asked) { return; }
          if (!asking.trim()) {
            status.textContent = "Type to search " + plural(engine.size(), "paper") + ".";
          } else if (found.total) {
            status.textContent = matchCount(found.total) + " “" + query + "”.";
          } else {
            status.textContent = (query ? "No papers match “" + query + "”." : "Nothing to search for.") + " ";
            if (found.fuzzy) { status.appendChild(fuzzyButton(found.fuzzy)); }
          }
          remember(asking, order);
          setTimeout(engine.warm, 0);
        });
      }).catch(function (error) {
        if (ask === asked) { loadFailed(status, error); }
      });
    }

    status.textContent = "Loading the search index…";
    engine.ready().then(function () {
      var later = eager(run);
      input.addEventListener("input", later);
      sort.addEventListener("change", run);
      more.addEventListener("click", showMore);
      input.form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
      if (box) {
        // The header box on this page drives the same list.
        box.addEventListener("input", function () { input.value = box.value; later(); });
        box.form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
      }
      arrowKeys(input, list);
      run();
    }, function (error) { loadFailed(status, error); });
  }

  // Every other page: the best few results in a panel under the header box.
  function headerBox() {
    var form = box.form;
    var pop = el("div", "search-pop");
    pop.id = "search-pop";
    pop.hidden = true;
    var status = el("p", "pop-status");
    status.setAttribute("role", "status");
    var list = el("ol", "pop-results");
    list.setAttribute("aria-label", "Search results");
    pop.appendChild(status);
    pop.appendChild(list);
    form.appendChild(pop);
    box.setAttribute("aria-controls", pop.id);

    function close() {
      pop.hidden = true;
    }

    var asked = 0;
    function run() {
      var query = box.value.trim();
      var ask = ++asked;
      if (!query) { list.textContent = ""; close(); return; }
      engine.search(query, "relevance").then(function (answer) {
        return engine.page(answer, 0, POP_SIZE).then(function (items) {
          if (ask !== asked) { return; } // a newer query took over
          list.textContent = "";
          items.forEach(function (item) { list.appendChild(resultCard(item, "h2", false)); });
          status.textContent = answer.total ? matchCount(answer.total) + "." : "No papers match.";
          if (answer.notice) { status.textContent = answer.notice; }
          var all = el("a", "pop-all", answer.total > POP_SIZE ? "See all " + plural(answer.total, "result") + " →" : "Open the search page →");
          all.href = searchPage + "?q=" + encodeURIComponent(query);
          var last = el("li", "pop-more");
          last.appendChild(all);
          list.appendChild(last);
          pop.hidden = false;
          setTimeout(engine.warm, 0);
        });
      }).catch(function (error) {
        if (ask === asked) { loadFailed(status, error); pop.hidden = false; }
      });
    }

    box.addEventListener("input", eager(run));
    box.addEventListener("focus", function () { if (box.value.trim()) { run(); } });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !pop.hidden) {
        close();
        box.focus();
      }
    });
    form.addEventListener("focusout", function (event) {
      if (!form.contains(event.relatedTarget)) { close(); }
    });
    arrowKeys(box, list);
    status.textContent = "Loading the search index…";
    engine.ready().then(function () {
      if (document.activeElement === box && box.value.trim()) { run(); }
    }, function (error) {
      loadFailed(status, error);
      pop.hidden = false;
    });
  }

  if (app) {
    searchApp();
  } else if (box) {
    headerBox();
  }
})();
