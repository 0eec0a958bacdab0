// paper-digest search engine: loads lunr.js and the index on first use and answers queries.
// The interface is PaperDigestSearch.ready() -> Promise and .search(query, sort) -> answer;
// the page and the header box (search-ui.js) use only these and .highlight/.snippet.
(function () {
  "use strict";

  var TERM_LABEL = "paperDigestTerm"; // registered under the same label by builder/search.py
  // Kept in step with builder/search.py: _SEPARATORS, _EDGES, _POSSESSIVE and _LETTERS.
  var QUERY_SEPARATORS = /[\x1c-\x1f\x85\u2010-\u2015\u2212/\\|]+/g; // lunr splits on \s and -
  var WORD = /[^\s\x1c-\x1f\x85\-\u2010-\u2015\u2212/\\|]+/g;
  var EDGES = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
  var LEAD = /^[^\p{L}\p{N}]*/u;
  var TRAIL = /[^\p{L}\p{N}]*$/u;
  var MARKS = /\p{Mn}/gu;
  var POSSESSIVE = /['\u2019]s$/;
  var LETTERS = { "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i" };
  var SPECIAL = /[ßæœøłđðþı]/g;
  var MAX_QUERY = 300; // characters; longer queries are cut
  var MAX_EDITS = 2; // lunr's fuzzy matching grows fast with the edit distance

  var script = document.currentScript;
  var assets = new URL(".", script.src);
  var root = new URL("../", assets);
  var loading = null;
  var received = null; // the promise callbacks that receive() settles
  var index = null;
  var records = null;

  function foldWord(word) {
    var bare = word.toLowerCase().normalize("NFKD").replace(MARKS, "");
    bare = bare.replace(SPECIAL, function (c) { return LETTERS[c]; });
    return bare.replace(EDGES, "").replace(POSSESSIVE, "");
  }

  // The pipeline step: word -> index term, as builder/search.py's term() does.
  function termToken(token) {
    var folded = foldWord(token.toString());
    if (!folded) { return undefined; }
    token.update(function () { return folded; });
    if (!lunr.stopWordFilter(token)) { return undefined; }
    return lunr.stemmer(token);
  }

  function addScript(name) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = new URL(name, assets).href;
      tag.async = false;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + name)); };
      document.head.appendChild(tag);
    });
  }

  // Load lunr.js and the index (which calls receive()) side by side, run in that order; once.
  function ready() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        received = { resolve: resolve, reject: reject };
        addScript("lunr.min.js").catch(reject);
        addScript("search-index.js").catch(reject);
      });
    }
    return loading;
  }

  function receive(data) {
    try {
      lunr.Pipeline.registerFunction(termToken, TERM_LABEL);
      index = lunr.Index.load(data.index);
      records = data.records;
      received.resolve();
    } catch (error) {
      received.reject(error);
    }
  }

  // What lunr's query parser sees: accents folded, word separators as spaces, fuzz capped.
  function prepare(query) {
    var text = query.slice(0, MAX_QUERY).toLowerCase().normalize("NFKD").replace(MARKS, "");
    text = text.replace(SPECIAL, function (c) { return LETTERS[c]; }).replace(QUERY_SEPARATORS, " ");
    return text.replace(/~(\d+)/g, function (_, n) { return "~" + Math.min(+n, MAX_EDITS); });
  }

  // The words of a query with lunr's syntax taken out, for a plain-word retry: a field name with
  // nothing after it goes, any other "word:" keeps its word.
  function plainWords(query) {
    var text = query.replace(/(\S+):(?=\s|$)/g, function (all, word) {
      return index && index.fields.indexOf(word) >= 0 ? " " : word;
    });
    return text.replace(/[:~^+*\-]+/g, " ").split(/\s+/).filter(Boolean).join(" ");
  }

  // Run a query where every word without + or - must match (lunr alone would match any word).
  function runQuery(text) {
    var parsed = new lunr.Query(index.fields);
    new lunr.QueryParser(text, parsed).parse();
    // A stop word leaves no term; lunr would match nothing (or throw) were it required.
    var clauses = parsed.clauses.filter(function (clause) {
      return !clause.usePipeline || index.pipeline.runString(clause.term, { fields: clause.fields }).length;
    });
    if (!clauses.length) { return []; } // lunr would return every paper for no clauses
    clauses.forEach(function (clause) {
      if (clause.presence === lunr.Query.presence.OPTIONAL) {
        clause.presence = lunr.Query.presence.REQUIRED;
      }
    });
    return index.query(function (query) { query.clauses = clauses; });
  }

  // Say in plain words what lunr could not read in a query.
  function explain(error, query) {
    var message = String(error && error.message);
    var field = /unrecognised field '([^']*)'/.exec(message);
    var reason;
    if (field) {
      reason = "there is no field “" + field[1] + "”; the fields are " + index.fields.join(", ");
    } else if (/edit distance/.test(message)) {
      reason = "~ needs a number after it, as in transfomer~1";
    } else if (/boost/.test(message)) {
      reason = "^ needs a number after it, as in grokking^10";
    } else if (/found nothing|expecting term/.test(message)) {
      reason = "a field name, + or - needs a word right after it, as in title:grokking";
    } else {
      reason = "~ and ^ go right after a word, as in grokking^10";
    }
    return "Could not read “" + query.trim() + "”: " + reason + ".";
  }

  function toResult(match) {
    var record = records[parseInt(match.ref, 36)];
    return {
      ref: match.ref,
      score: match.score,
      title: record[0],
      url: new URL(record[1], root).href,
      day: record[2],
      dated: record[3] === 1,
      byline: record[4],
      upvotes: record[5],
      text: record[6],
      terms: Object.keys(match.matchData.metadata)
    };
  }

  var ORDERS = {
    relevance: function (a, b) { return b.score - a.score || (b.day > a.day) - (b.day < a.day); },
    newest: function (a, b) { return (b.day > a.day) - (b.day < a.day) || b.score - a.score; },
    upvotes: function (a, b) {
      var va = a.upvotes === null ? -1 : a.upvotes;
      var vb = b.upvotes === null ? -1 : b.upvotes;
      return vb - va || b.score - a.score;
    }
  };

  // Answer a query: {query, searched, results (sorted), total, notice, fuzzy (a retry to offer)}.
  function search(query, sort) {
    var answer = { query: query, searched: (query || "").trim(), results: [], total: 0, notice: "", fuzzy: "" };
    var text = prepare(query || "").trim();
    if (!text || !index) { return answer; }
    var matches;
    try {
      matches = runQuery(text);
    } catch (error) {
      var plain = plainWords(text);
      answer.notice = explain(error, query);
      answer.searched = plain;
      try {
        matches = plain ? runQuery(plain) : [];
        if (plain) { answer.notice += " Searching for the plain words instead."; }
      } catch (again) {
        matches = [];
      }
    }
    answer.results = matches.map(toResult).sort(ORDERS[sort] || ORDERS.relevance);
    answer.total = answer.results.length;
    if (!answer.total) {
      var words = plainWords(text).split(" ").filter(function (w) { return w.length > 2; });
      if (words.length && !/~/.test(text)) {
        answer.fuzzy = words.map(function (w) { return w + "~" + (w.length > 6 ? 2 : 1); }).join(" ");
      }
    }
    return answer;
  }

  // The index term a word of text stands for, or "" (a stop word, or nothing left).
  var terms = Object.create(null);
  function termOf(word) {
    if (!(word in terms)) {
      var tokens = index.pipeline.run([new lunr.Token(word, {})]);
      terms[word] = tokens.length ? tokens[0].toString() : "";
    }
    return terms[word];
  }

  // Split text into [{text, hit}] pieces, hits being the words that match one of `terms`.
  function highlight(text, terms) {
    var wanted = {};
    terms.forEach(function (t) { wanted[t] = true; });
    var pieces = [];
    var last = 0;
    var found;
    WORD.lastIndex = 0;
    while ((found = WORD.exec(text)) !== null) {
      var word = found[0];
      var term = termOf(word);
      if (term && Object.prototype.hasOwnProperty.call(wanted, term)) {
        var lead = LEAD.exec(word)[0].length;
        var trail = TRAIL.exec(word)[0].length;
        var start = found.index + lead;
        var end = found.index + word.length - trail;
        if (start > last) { pieces.push({ text: text.slice(last, start), hit: false }); }
        pieces.push({ text: text.slice(start, end), hit: true });
        last = end;
      }
    }
    if (last < text.length) { pieces.push({ text: text.slice(last), hit: false }); }
    return pieces;
  }

  // A window of about `size` characters of text around its densest run of hits, as pieces.
  function snippet(text, terms, size) {
    var pieces = highlight(text, terms);
    var at = 0;
    var hits = [];
    pieces.forEach(function (p) { if (p.hit) { hits.push(at); } at += p.text.length; });
    var start = 0;
    if (hits.length && text.length > size) {
      var best = -1;
      hits.forEach(function (h) {
        var count = hits.filter(function (o) { return o >= h && o < h + size * 0.7; }).length;
        if (count > best) { best = count; start = h; }
      });
      start = Math.max(0, Math.min(start - Math.round(size * 0.25), text.length - size));
      var space = text.lastIndexOf(" ", start);
      start = start === 0 || space < 0 ? start : space + 1;
    }
    var end = Math.min(text.length, start + size);
    if (end < text.length) {
      var cut = text.lastIndexOf(" ", end);
      end = cut > start ? cut : end;
    }
    var out = [];
    var pos = 0;
    pieces.forEach(function (p) {
      var a = Math.max(pos, start);
      var b = Math.min(pos + p.text.length, end);
      if (b > a) { out.push({ text: text.slice(a, b), hit: p.hit }); }
      pos += p.text.length;
    });
    if (start > 0) { out.unshift({ text: "…", hit: false }); }
    if (end < text.length) { out.push({ text: "…", hit: false }); }
    return out;
  }

  function lunrSearch(query) {
    return index.search(query).map(function (m) { return { ref: m.ref, score: m.score }; });
  }

  window.PaperDigestSearch = {
    ready: ready,
    receive: receive,
    search: search,
    highlight: highlight,
    snippet: snippet,
    term: termOf,
    lunrSearch: lunrSearch,
    size: function () { return records ? records.length : 0; }
  };
})();
