// paper-digest search engine: lunr.js answers every query from a small index made of the shards
// the query's terms need, from every segment of papers, with lunr's weights computed here from
// term counts and field lengths (builder/search.py writes them; builder/search_files.py lists
// the files).
// The interface is PaperDigestSearch.ready() -> Promise, .search(query, sort) -> Promise of an
// answer, and .page(answer, start, end) -> Promise of the results to show; the page and the
// header box (search-ui.js) use only these and .highlight/.snippet/.size.
(function () {
  "use strict";

  // The shape of the data files and how a word becomes an index term, as builder/terms.py and
  // builder/search_files.py have them (builder/search.py's engine_rules hands them over): the
  // build writes them in as it copies this file into the site.
  var RULES = /* paper-digest: rules */ null;
  var FORMAT = RULES.format;
  var K1 = RULES.k1; // lunr's BM25 constants and field boosts, as builder/lunr_index.py has them
  var B = RULES.b;
  var DIGIT = new Int8Array(128); // a character of the field lengths' base 64 -> its value
  for (var d = 0; d < 64; d++) { DIGIT[RULES.digits.charCodeAt(d)] = d; }
  var ORDER_BITS = 1048576; // 2 ** 20: a term's order is (first paper) * ORDER_BITS + its place
  var NOT_WORD = "[^" + RULES.word + "]";
  var QUERY_SEPARATORS = new RegExp("[" + RULES.separators + "]+", "g"); // lunr splits on "-"
  var WORD = new RegExp("[^" + RULES.separators + "\\-]+", "g");
  var EDGES = new RegExp("^" + NOT_WORD + "+|" + NOT_WORD + "+$", "gu");
  var LEAD = new RegExp("^" + NOT_WORD + "*", "u");
  var TRAIL = new RegExp(NOT_WORD + "*$", "u");
  var MARKS = new RegExp("\\p{" + RULES.marks + "}", "gu");
  var POSSESSIVE = new RegExp(RULES.possessive + "$");
  var LETTERS = RULES.letters;
  var SPECIAL = new RegExp("[" + Object.keys(LETTERS).join("").replace(/[\\\]^-]/g, "\\$&") + "]", "g");
  var PAPER_URL = /* paper-digest: paper-url */ null; // a paper's page, {key} its slug
  var MAX_QUERY = 300; // characters; longer queries are cut
  var MAX_EDITS = 2; // lunr's fuzzy matching grows fast with the edit distance
  var MIN_PREFIX = 2; // letters before a * (fewer would load most of the index)
  var EMPTY = Object.freeze({}); // the metadata of every posting (none is kept)

  var script = document.currentScript;
  var assets = new URL(".", script.src);
  var root = new URL("../", assets);
  var folder = new URL("search/", assets);
  var meta = null;
  var pipeline = null;
  var starting = null;
  var waiting = Object.create(null); // "kind/number" -> the callbacks of a script on its way
  var loaded = Object.create(null); // "kind/number" -> Promise of its data
  var entries = Object.create(null); // term -> its entry: its parts from the segments' shards
  var lengths = []; // field number -> Promise of every paper's length of that field
  var lengthsOf = []; // field number -> those lengths, an Int32Array by ref, once here
  var lengthsAsked = false; // whether the lengths of every field were asked for (lengthsLater)
  var segments = []; // {name, count, base (its first ref), token, shards, vocabulary}
  var near = Object.create(null); // term -> {"field/ref": weight * 1000}, given by the build
  var vocabularies = Object.create(null); // first letter -> Promise of a lunr.TokenSet
  var compact = null; // Promise of every paper's day and upvotes

  function foldWord(word) {
    var bare = word.toLowerCase().normalize("NFKD").replace(MARKS, "");
    bare = bare.replace(SPECIAL, function (c) { return LETTERS[c]; });
    return bare.replace(EDGES, "").replace(POSSESSIVE, "");
  }

  // The pipeline step: word -> index term, as builder/terms.py's term_of() does.
  function termToken(token) {
    var folded = foldWord(token.toString());
    if (!folded) { return undefined; }
    token.update(function () { return folded; });
    if (!lunr.stopWordFilter(token)) { return undefined; }
    return lunr.stemmer(token);
  }

  function addScript(url) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = url;
      tag.async = false;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + url.split("?")[0])); };
      document.head.appendChild(tag);
    });
  }

  // Load one data script (once); it calls receive(kind, number, data). `token` is the version
  // of what it holds (a new one when it changed, past any cache).
  function load(kind, number, path, token) {
    var key = kind + "/" + number;
    if (!loaded[key]) {
      loaded[key] = new Promise(function (resolve, reject) {
        waiting[key] = resolve;
        var version = token ? "?v=" + token : "";
        addScript(new URL(path + version, folder).href).then(function () {
          // A script that ran without calling receive() is not ours.
          if (waiting[key]) { delete waiting[key]; reject(new Error("no data in " + path)); }
        }, function (error) {
          delete waiting[key];
          delete loaded[key]; // a later search may try again
          reject(error);
        });
      });
    }
    return loaded[key];
  }

  function receive(kind, number, data) {
    var key = kind + "/" + number;
    var resolve = waiting[key];
    if (resolve) {
      delete waiting[key];
      resolve(data);
    }
  }

  // Load lunr.js and the manifest side by side; once.
  function ready() {
    if (!starting) {
      var lunrLoaded = addScript(new URL("lunr.min.js", assets).href);
      starting = Promise.all([lunrLoaded, load("meta", 0, "meta.js")]).then(function (done) {
        var manifest = done[1];
        if (manifest.format !== FORMAT) { throw new Error("search data of another version"); }
        lunr.Pipeline.registerFunction(termToken, manifest.label);
        pipeline = new lunr.Pipeline();
        pipeline.add(termToken);
        var base = 0;
        segments = manifest.segments.map(function (s) {
          var segment = { name: s[0], count: s[1], base: base, token: s[2], shards: s[3], vocabulary: s[4] };
          base += s[1];
          return segment;
        });
        manifest.near.forEach(function (n) {
          (near[n[0]] || (near[n[0]] = Object.create(null)))[n[1] + "/" + n[2]] = n[3];
        });
        meta = manifest;
      });
      starting.catch(function () { starting = null; });
    }
    return starting;
  }

  // Where a term is: the last shard (or vocabulary chunk) whose name is not after it (a file's
  // name sorts after every term of the file before it, and not after its own first term).
  function find(firsts, term) {
    var low = 0;
    var high = firsts.length - 1;
    while (low < high) {
      var mid = (low + high + 1) >> 1;
      if (firsts[mid] <= term) { low = mid; } else { high = mid - 1; }
    }
    return low;
  }

  // The first string after every string that starts with `prefix`.
  function after(prefix) {
    var last = prefix.charCodeAt(prefix.length - 1);
    return prefix.slice(0, -1) + String.fromCharCode(Math.min(last + 1, 0xffff));
  }

  function segmentFile(segment, kind, number) {
    var path = "s/" + segment.name + "/" + kind + "/" + number + ".js";
    return load(segment.name + "/" + kind, number, path, segment.token);
  }

  // Take in a segment's shard: each term's part (its place in the segment's first paper that
  // has it, and its counts per field, as text until a query decodes them).
  function shard(segment, number) {
    return segmentFile(segment, "t", number).then(function (list) {
      list.forEach(function (item) {
        var entry = entries[item[0]];
        if (!entry) { entry = entries[item[0]] = { term: item[0], index: 0, parts: [], fields: null }; }
        if (entry.fields) { return; } // decoded: every part was here
        if (!entry.parts.some(function (p) { return p.segment === segment; })) {
          var raw = item.slice(2); // its fields, to the last that has the term
          while (raw.length < meta.fields.length) { raw.push(""); }
          entry.parts.push({ segment: segment, first: item[1], raw: raw });
        }
      });
      return list;
    });
  }

  // The shards of every segment holding terms from `low` to `high`; then every term in that
  // range has all its parts.
  function shardsFor(low, high) {
    var wanted = [];
    segments.forEach(function (segment) {
      if (!segment.shards.length) { return; }
      var last = find(segment.shards, high);
      for (var i = find(segment.shards, low); i <= last; i++) { wanted.push(shard(segment, i)); }
    });
    return Promise.all(wanted);
  }

  // Every term that starts with `letter`, as a lunr.TokenSet (for fuzzy terms).
  function vocabulary(letter) {
    if (!vocabularies[letter]) {
      var high = after(letter);
      var chunks = [];
      segments.forEach(function (segment) {
        if (!segment.vocabulary.length) { return; }
        var last = find(segment.vocabulary, high);
        for (var i = find(segment.vocabulary, letter); i <= last; i++) {
          chunks.push(segmentFile(segment, "v", i));
        }
      });
      vocabularies[letter] = Promise.all(chunks).then(function (lists) {
        var found = Object.create(null);
        lists.forEach(function (list) {
          list.forEach(function (t) { if (t >= letter && t < high) { found[t] = true; } });
        });
        return lunr.TokenSet.fromArray(Object.keys(found).sort());
      });
    }
    return vocabularies[letter];
  }

  // Every paper's length of field f, an Int32Array by ref.
  function fieldLengths(f) {
    if (!lengths[f]) {
      lengths[f] = load("n", f, "n/" + f + ".js", meta.n[f]).then(function (data) {
        var width = data[0];
        var text = data[1];
        var values = new Int32Array(text.length / width);
        for (var i = 0, at = 0; i < values.length; i++) {
          var value = 0;
          for (var end = at + width; at < end; at++) { value = value * 64 + DIGIT[text.charCodeAt(at)]; }
          values[i] = value;
        }
        lengthsOf[f] = values;
      }, function (error) {
        lengths[f] = null; // a later query may try again
        throw error;
      });
    }
    return lengths[f];
  }

  // Load the lengths of the fields that `terms` are in (their entries' parts must be here).
  function lengthsFor(terms) {
    var wanted = [];
    terms.forEach(function (t) {
      entries[t].parts.forEach(function (part) {
        part.raw.forEach(function (text, f) { if (text) { wanted[f] = true; } });
      });
    });
    var loading = [];
    wanted.forEach(function (yes, f) { if (yes) { loading.push(fieldLengths(f)); } });
    return Promise.all(loading);
  }

  // "1,2,3" -> [1, 2, 3], read digit by digit (a common word has tens of thousands of
  // postings: splitting them into strings first costs more than the search).
  function readNumbers(text) {
    var count = 0;
    for (var c = 0; c < text.length; c++) { if (text.charCodeAt(c) === 44) { count++; } }
    var numbers = new Float64Array(text ? count + 1 : 0);
    var value = 0;
    var at = 0;
    for (var i = 0; text && i <= text.length; i++) {
      var code = i < text.length ? text.charCodeAt(i) : 44;
      if (code === 44) { numbers[at++] = value; value = 0; } else { value = value * 10 + (code - 48); }
    }
    return numbers;
  }

  // lunr's weight of a term in a field of a paper (BM25, boosted), rounded to thousandths as
  // builder/lunr_index.py rounds it: the same operations in the same order, so the same double;
  // where that double lies within a hair of a half thousandth (Math.log may differ from
  // Python's in its last bit), the build hands over the weight (`near`).
  function weight(idf, tf, length, average, boost) {
    var score = idf * ((K1 + 1) * tf) / (K1 * (1 - B + B * (length / average)) + tf) * boost;
    return Math.round(score * 1000) / 1000;
  }

  // An entry's postings: per field, the papers (by ref number) and lunr's weights; and its
  // place in lunr's term order (`index`). The lengths of its fields must be here
  // (`lengthsFor`).
  function fields(entry) {
    if (entry.fields) { return entry.fields; }
    var parts = entry.parts.slice().sort(function (a, b) { return a.segment.base - b.segment.base; });
    var decoded = parts.map(function (part) { return part.raw.map(readNumbers); });
    var documents = 0; // (paper, field) pairs that have the term, as lunr counts for idf
    decoded.forEach(function (columns) { columns.forEach(function (c) { documents += c.length / 2; }); });
    var idf = Math.log(1 + Math.abs((meta.count - documents + 0.5) / (documents + 0.5)));
    entry.fields = meta.fields.map(function (name, f) {
      var size = 0;
      decoded.forEach(function (columns) { size += columns[f].length / 2; });
      var docs = new Int32Array(size);
      var weights = new Float64Array(size);
      var average = meta.lengths[f] / meta.count;
      var boost = RULES.boosts[name] || 1;
      var at = 0;
      var given = near[entry.term];
      var lengthOf = lengthsOf[f];
      parts.forEach(function (part, p) {
        var numbers = decoded[p][f];
        var doc = part.segment.base;
        for (var i = 0; i < numbers.length; i += 2) {
          doc += numbers[i];
          docs[at] = doc;
          var milli = given && given[f + "/" + doc];
          weights[at] = milli !== undefined ? milli / 1000 : weight(idf, numbers[i + 1], lengthOf[doc], average, boost);
          at++;
        }
      });
      return { docs: docs, weights: weights };
    });
    // lunr numbers terms in the order papers show them: by the first paper that has the term,
    // then by where it first shows among that paper's terms.
    var first = parts[0];
    var firstDoc = Infinity;
    decoded[0].forEach(function (numbers) { if (numbers.length) { firstDoc = Math.min(firstDoc, numbers[0]); } });
    entry.index = (first.segment.base + firstDoc) * ORDER_BITS + first.first;
    entry.parts = null;
    return entry.fields;
  }

  // What lunr's query parser sees: accents folded, word separators as spaces, fuzz capped.
  function prepare(query) {
    var text = query.slice(0, MAX_QUERY).toLowerCase().normalize("NFKD").replace(MARKS, "");
    text = text.replace(SPECIAL, function (c) { return LETTERS[c]; }).replace(QUERY_SEPARATORS, " ");
    return text.replace(/~(\d+)/g, function (_, n) { return "~" + Math.min(+n, MAX_EDITS); });
  }

  // The words of a query with lunr's syntax taken out, for a plain-word retry: a -word goes (it
  // was to leave papers out), so does a field name before its word ("title:" of title:grokking).
  function plainWords(query) {
    return query.split(/\s+/).filter(function (word) { return word && word[0] !== "-"; }).map(function (word) {
      var colon = word.indexOf(":");
      var field = colon >= 0 ? word.slice(0, colon).replace(/^\+/, "") : "";
      if (meta && meta.fields.indexOf(field) >= 0) { word = word.slice(colon + 1); }
      return word.replace(/[:~^+*\-]+/g, " ");
    }).join(" ").split(/\s+/).filter(Boolean).join(" ");
  }

  function ShortWildcard(term) {
    this.message = "wildcard " + term;
    this.term = term;
  }

  // Parse a query into lunr clauses where every word without + or - must match (lunr alone
  // would match any word); a stop word leaves no clause.
  function parse(text) {
    var parsed = new lunr.Query(meta.fields);
    new lunr.QueryParser(text, parsed).parse();
    var clauses = parsed.clauses.filter(function (clause) {
      return !clause.usePipeline || pipeline.runString(clause.term, { fields: clause.fields }).length;
    });
    clauses.forEach(function (clause) {
      if (clause.presence === lunr.Query.presence.OPTIONAL) {
        clause.presence = lunr.Query.presence.REQUIRED;
      }
      var star = clause.term.indexOf("*");
      if (star >= 0 && !(clause.editDistance > 0) && star < MIN_PREFIX) {
        throw new ShortWildcard(clause.term);
      }
    });
    // One word to match (and maybe words to leave out) finds the same papers, with the same
    // scores, required or not; lunr spends much less on sets of papers when it is not.
    var positive = clauses.filter(function (c) { return c.presence !== lunr.Query.presence.PROHIBITED; });
    if (positive.length === 1) { positive[0].presence = lunr.Query.presence.OPTIONAL; }
    return clauses;
  }

  // The index terms a clause can match, once the shards holding them are here.
  function clauseTerms(clause) {
    var term = clause.usePipeline ? pipeline.runString(clause.term, { fields: clause.fields })[0] : clause.term;
    if (!term) { return Promise.resolve([]); }
    if (clause.editDistance > 0) {
      // Fuzzy: the terms within the edit distance that start with the same letter (a typo in
      // the first letter is not found; lunr would look through every term).
      var letter = term.charAt(0);
      return vocabulary(letter).then(function (set) {
        var found = set.intersect(lunr.TokenSet.fromFuzzyString(term, clause.editDistance)).toArray();
        return Promise.all(found.map(function (t) { return shardsFor(t, t); })).then(function () {
          return found;
        });
      });
    }
    var star = term.indexOf("*");
    if (star >= 0) {
      var prefix = term.slice(0, star);
      return shardsFor(prefix, after(prefix)).then(function () {
        var set = lunr.TokenSet.fromString(term);
        var candidates = Object.keys(entries).filter(function (t) {
          return t.lastIndexOf(prefix, 0) === 0;
        }).sort();
        return lunr.TokenSet.fromArray(candidates).intersect(set).toArray();
      });
    }
    return shardsFor(term, term).then(function () { return entries[term] ? [term] : []; });
  }

  // A lunr.Index holding just `terms`, with the postings of the papers `keep` marks (all
  // when null); for a query of only -words, every kept paper gets an empty field vector.
  function assemble(terms, negated, keep) {
    var list = terms.map(function (t) { return entries[t]; }).sort(function (a, b) { return a.index - b.index; });
    var inverted = Object.create(null);
    var elements = Object.create(null);
    list.forEach(function (entry) {
      var posting = { _index: entry.index };
      fields(entry).forEach(function (field, f) {
        var name = meta.fields[f];
        var refs = Object.create(null);
        for (var i = 0; i < field.docs.length; i++) {
          var doc = field.docs[i];
          if (keep && !keep[doc]) { continue; }
          var ref = doc.toString(36);
          refs[ref] = EMPTY;
          var key = name + "/" + ref;
          (elements[key] || (elements[key] = [])).push(entry.index, field.weights[i]);
        }
        posting[name] = refs;
      });
      inverted[entry.term] = posting;
    });
    var vectors = Object.create(null);
    Object.keys(elements).forEach(function (key) { vectors[key] = new lunr.Vector(elements[key]); });
    if (negated) {
      // lunr answers a query of only -words with every field vector it has, less those papers.
      var none = new lunr.Vector([]);
      for (var n = 0; n < meta.count; n++) {
        var key = meta.fields[0] + "/" + n.toString(36);
        if ((!keep || keep[n]) && !vectors[key]) { vectors[key] = none; }
      }
    }
    return new lunr.Index({
      invertedIndex: inverted,
      fieldVectors: vectors,
      tokenSet: lunr.TokenSet.fromArray(Object.keys(inverted).sort()),
      fields: meta.fields,
      pipeline: pipeline
    });
  }

  function isNegated(clauses) {
    return clauses.length > 0 && clauses.every(function (c) { return c.presence === lunr.Query.presence.PROHIBITED; });
  }

  // Run clauses on an index, as the search box does (exposed for the tests' whole index).
  function runClauses(index, clauses) {
    if (!clauses.length) { return []; } // lunr would return every paper for no clauses
    return index.query(function (query) {
      // lunr rewrites a clause's term as it goes: give it copies.
      query.clauses = clauses.map(function (c) { return Object.assign({}, c); });
    });
  }

  // A query's clauses with every required word made optional, or null when none is required:
  // when no paper has every word (one written otherwise in the paper, as Qwen2 for Qwen2.5,
  // or in none), the papers with some of them come, best first.
  function loosened(clauses) {
    var some = clauses.map(function (c) {
      return c.presence === lunr.Query.presence.REQUIRED
        ? Object.assign({}, c, { presence: lunr.Query.presence.OPTIONAL }) : c;
    });
    return some.some(function (c, i) { return c !== clauses[i]; }) ? some : null;
  }

  // Whether a query found nothing only because of its -words: `run` finds papers with every
  // wanted word. Then none is the answer, not papers with some of the words.
  function excludedAll(clauses, run) {
    var wanted = clauses.filter(function (c) { return c.presence !== lunr.Query.presence.PROHIBITED; });
    return wanted.length < clauses.length && run(wanted).length > 0;
  }

  // lunr's matches of a query on an index: every word, else (`loosened`) some of them.
  function runQuery(index, clauses) {
    var run = function (some) { return runClauses(index, some); };
    var found = run(clauses);
    var some = found.length || excludedAll(clauses, run) ? null : loosened(clauses);
    return some ? run(some) : found;
  }

  function toMatch(m) {
    return { ref: m.ref, n: parseInt(m.ref, 36), score: m.score, terms: Object.keys(m.matchData.metadata) };
  }

  // Load what a query's clauses need: the terms they may match, once their shards are here.
  function gather(text) {
    var clauses = parse(text);
    return Promise.all(clauses.map(clauseTerms)).then(function (lists) {
      var terms = {};
      lists.forEach(function (list) { list.forEach(function (t) { terms[t] = true; }); });
      var found = Object.keys(terms);
      var undecoded = found.filter(function (t) { return !entries[t].fields; });
      return lengthsFor(undecoded).then(function () {
        found.forEach(function (t) { fields(entries[t]); });
        return { clauses: clauses, terms: found, negated: isNegated(clauses) };
      });
    });
  }

  // Every match of a query, scored by lunr over all of them (the tests compare with this).
  function match(text) {
    return gather(text).then(function (q) {
      return runQuery(assemble(q.terms, q.negated, null), q.clauses).map(toMatch);
    });
  }

  // Which papers a query matches, and an estimate of each one's score, without lunr: lunr's own
  // sums (query vectors from the clause boosts, dot products in vector-index order, divided by
  // the query vector's length) on typed arrays. It only picks which papers lunr then scores:
  // the papers that can be on screen.
  function analyse(q) {
    var count = meta.count;
    var width = meta.fields.length;
    var set = lunr.TokenSet.fromArray(q.terms.slice().sort());
    var vectors = meta.fields.map(function () { return new lunr.Vector(); });
    var positive = new Uint8Array(count);
    var prohibited = new Uint8Array(count);
    var required = [];
    var used = meta.fields.map(function () { return Object.create(null); });
    q.clauses.forEach(function (clause) {
      var terms = clause.usePipeline ? pipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
      var isRequired = clause.presence === lunr.Query.presence.REQUIRED;
      var isProhibited = clause.presence === lunr.Query.presence.PROHIBITED;
      var found = isRequired ? new Uint8Array(count) : null;
      terms.forEach(function (term) {
        var expanded = set.intersect(lunr.TokenSet.fromClause(Object.assign({}, clause, { term: term }))).toArray();
        expanded.forEach(function (t) {
          var entry = entries[t];
          var postings = fields(entry);
          clause.fields.forEach(function (name) {
            var f = meta.fields.indexOf(name);
            var docs = postings[f].docs;
            var marks = isProhibited ? prohibited : positive;
            for (var i = 0; i < docs.length; i++) {
              marks[docs[i]] = 1;
              if (found) { found[docs[i]] = 1; }
            }
            if (!isProhibited) {
              vectors[f].upsert(entry.index, clause.boost, function (a, b) { return a + b; });
              used[f][t] = entry;
            }
          });
        });
      });
      if (found) { required.push(found); }
    });
    var estimate = new Float64Array(count);
    for (var f = 0; f < width; f++) {
      var magnitude = vectors[f].magnitude();
      if (!magnitude) { continue; }
      var sums = new Float64Array(count);
      var chosen = Object.keys(used[f]).map(function (t) { return used[f][t]; });
      chosen.sort(function (a, b) { return a.index - b.index; });
      var elements = vectors[f].elements;
      chosen.forEach(function (entry) {
        var weight = 0;
        for (var e = 0; e < elements.length; e += 2) {
          if (elements[e] === entry.index) { weight = elements[e + 1]; break; }
        }
        var postings = fields(entry)[f];
        for (var i = 0; i < postings.docs.length; i++) {
          sums[postings.docs[i]] += weight * postings.weights[i];
        }
      });
      for (var d = 0; d < count; d++) { if (sums[d]) { estimate[d] += sums[d] / magnitude; } }
    }
    var docs = [];
    for (var n = 0; n < count; n++) {
      if (prohibited[n] || !(q.negated || positive[n])) { continue; }
      var ok = true;
      for (var r = 0; r < required.length && ok; r++) { ok = required[r][n] === 1; }
      if (ok) { docs.push(n); }
    }
    return { docs: docs, estimate: estimate };
  }

  // Say in plain words what lunr could not read in a query.
  function explain(error, query) {
    var message = String(error && error.message);
    var field = /unrecognised field '([^']*)'/.exec(message);
    var reason;
    if (error instanceof ShortWildcard) {
      reason = "put at least " + MIN_PREFIX + " letters before *, as in gr*";
    } else if (field) {
      reason = "there is no field “" + field[1] + "”; the fields are " + meta.fields.join(", ");
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

  function papers() {
    if (!compact) {
      compact = load("p", 0, "papers.js", meta.token).then(function (data) {
        var days = new Int32Array(meta.count);
        var day = data.first;
        data.days.split(",").forEach(function (gap, i) { if (i < meta.count) { day += +gap; days[i] = day; } });
        var votes = data.votes.split(",").map(function (v) { return v === "" ? null : +v; });
        return { days: days, votes: votes };
      });
    }
    return compact;
  }

  var ORDERS = {
    relevance: function (a, b) { return b.score - a.score || b.day - a.day; },
    newest: function (a, b) { return b.day - a.day || b.score - a.score; },
    upvotes: function (a, b) {
      var va = a.upvotes === null ? -1 : a.upvotes;
      var vb = b.upvotes === null ? -1 : b.upvotes;
      return vb - va || b.score - a.score;
    }
  };

  // The first `end` results in order, scored by lunr. Estimates pick the candidates: every
  // paper that sorts before the end-th by (order key, estimate), and those within a hair of it
  // (an estimate may differ from lunr's score in its last bits); lunr scores just those, and
  // they are sorted by the real order. Days are needed where scores tie, upvotes to sort by.
  function ranked(answer, end) {
    var state = answer.state;
    if (!state || !state.docs.length) { return Promise.resolve([]); }
    end = Math.min(end, state.docs.length);
    if (state.shown >= end) { return Promise.resolve(state.ranked.slice(0, end)); }
    var needPapers = answer.sort !== "relevance";
    return (needPapers ? papers() : Promise.resolve(null)).then(function (data) {
      var key = function () { return 0; };
      if (answer.sort === "newest") { key = function (n) { return data.days[n]; }; }
      if (answer.sort === "upvotes") {
        key = function (n) { var v = data.votes[n]; return v === null ? -1 : v; };
      }
      var estimate = state.estimate;
      var docs = state.docs.slice();
      if (state.negated && answer.sort === "relevance") {
        // Every score is 0: by relevance is by day.
        return ranked(Object.assign({}, answer, { sort: "newest" }), end);
      }
      if (answer.sort === "relevance") {
        var scores = Float64Array.from(docs, function (n) { return estimate[n]; }).sort();
        var cut = scores[scores.length - end];
        var band = cut - 1e-9 * Math.max(1, Math.abs(cut));
        docs = docs.filter(function (n) { return estimate[n] >= band; });
      } else {
        docs.sort(function (a, b) { return key(b) - key(a) || estimate[b] - estimate[a]; });
        var last = docs[end - 1];
        var bound = estimate[last] - 1e-9 * Math.max(1, Math.abs(estimate[last]));
        docs = docs.filter(function (n, i) {
          return i < end || (key(n) === key(last) && estimate[n] >= bound);
        });
      }
      var keep = new Uint8Array(meta.count);
      docs.forEach(function (n) { keep[n] = 1; });
      var results = runClauses(assemble(state.terms, state.negated, keep), state.clauses).map(toMatch);
      var tie = false;
      for (var i = 0; i + 1 < results.length; i++) {
        if (results[i].score === results[i + 1].score) { tie = true; break; }
      }
      return (data || !tie ? Promise.resolve(data) : papers()).then(function (all) {
        if (all) {
          results.forEach(function (r) { r.day = all.days[r.n]; r.upvotes = all.votes[r.n]; });
          results.sort(ORDERS[answer.sort]);
        }
        state.ranked = results.slice(0, end);
        state.shown = end;
        return state.ranked;
      });
    });
  }

  function record(n) {
    var chunk = Math.floor(n / meta.chunk);
    return load("r", chunk, "r/" + chunk + ".js", meta.records).then(function (list) {
      return list[n % meta.chunk];
    });
  }

  // The results from `start` to `end` with what they show: title, link, day, byline, text.
  // `each(item, i)`, when given, gets them one by one, in order, as soon as each is here.
  function page(answer, start, end, each) {
    return ranked(answer, end).then(function (list) {
      var wanted = list.slice(start, end);
      var items = new Array(wanted.length);
      var next = 0;
      return Promise.all(wanted.map(function (result, i) {
        return record(result.n).then(function (r) {
          items[i] = {
            ref: result.ref,
            score: result.score,
            title: r[0],
            url: new URL(PAPER_URL.replace("{key}", r[1]), root).href,
            day: r[2],
            dated: r[3] === 1,
            byline: r[4],
            upvotes: r[5],
            text: r[6],
            terms: result.terms
          };
          for (; each && next < items.length && items[next]; next++) { each(items[next], start + next); }
        });
      })).then(function () {
        if (items.length) { lengthsLater(); }
        return items;
      });
    });
  }

  // Once results are on screen, load the lengths of the fields no query needed yet (a few
  // KB), so that a later query waits for its shards alone.
  function lengthsLater() {
    if (lengthsAsked) { return; }
    lengthsAsked = true;
    setTimeout(function () {
      meta.fields.forEach(function (_, f) { fieldLengths(f).catch(function () {}); });
    }, 200);
  }

  // Answer a query: {query, searched, total, notice, fuzzy (a retry to offer)}; `page` gives
  // its results.
  function search(query, sort) {
    return ready().then(function () {
      var answer = {
        query: query, sort: sort in ORDERS ? sort : "relevance", searched: (query || "").trim(),
        total: 0, notice: "", fuzzy: "", state: null
      };
      var text = prepare(query || "").trim();
      if (!text) { return answer; }
      var gathered;
      try {
        gathered = gather(text);
      } catch (error) {
        var plain = plainWords(text);
        answer.notice = explain(error, query);
        answer.searched = plain;
        if (plain) { answer.notice += " Searching for the plain words instead."; }
        try {
          gathered = plain ? gather(plain) : Promise.resolve(null);
        } catch (again) {
          gathered = Promise.resolve(null);
        }
      }
      return gathered.then(function (q) {
        var excluded = false; // every paper with the wanted words left out by -words
        if (q && q.clauses.length) {
          var found = analyse(q);
          var analysed = function (wanted) {
            return analyse(Object.assign({}, q, { clauses: wanted, negated: false })).docs;
          };
          excluded = !found.docs.length && excludedAll(q.clauses, analysed);
          var some = found.docs.length || excluded ? null : loosened(q.clauses);
          if (some) {
            q = { clauses: some, terms: q.terms, negated: q.negated };
            found = analyse(q);
            if (found.docs.length) {
              answer.notice = (answer.notice ? answer.notice + " " : "") +
                "No paper has all these words: these have some of them.";
            }
          }
          answer.state = {
            clauses: q.clauses, terms: q.terms, negated: q.negated,
            docs: found.docs, estimate: found.estimate, ranked: [], shown: 0
          };
          answer.total = found.docs.length;
        }
        if (!answer.total && !excluded) {
          var words = plainWords(text).split(" ").filter(function (w) { return w.length > 2; });
          if (words.length && !/~/.test(text)) {
            answer.fuzzy = words.map(function (w) { return w + "~" + (w.length > 6 ? 2 : 1); }).join(" ");
          }
        }
        return answer;
      });
    });
  }

  // The index term a word of text stands for, or "" (a stop word, or nothing left).
  var terms = Object.create(null);
  function termOf(word) {
    if (!(word in terms)) {
      var tokens = pipeline.run([new lunr.Token(word, {})]);
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

  window.PaperDigestSearch = {
    ready: ready,
    receive: receive,
    search: search,
    page: page,
    highlight: highlight,
    snippet: snippet,
    size: function () { return meta ? meta.count : 0; },
    // Fetch, once search has shown something, what sorting and ties need (so the next queries
    // do not wait for it).
    warm: function () { return ready().then(papers); },
    // For the tests only (tests/test_search.py proves the engine against Python and lunr.js):
    // no page calls these.
    forTests: {
      // How many segments the papers are in.
      segments: function () { return segments.length; },
      // The index term of a word, as the pipeline makes it (Python's terms.term_of must agree).
      term: termOf,
      // The words of a text, as highlights split it (Python's terms.split_words must agree),
      // and as a query is split (lunr splits what `prepare` left on spaces and "-").
      words: function (text) { return text.match(WORD) || []; },
      queryWords: function (text) { return prepare(text).split(/[\s-]+/).filter(Boolean); },
      // A term's postings as the engine weighs them: [field, ref number, weight * 1000] each
      // (Python's lunr_index must agree, to the last bit).
      weights: function (term) {
        return ready().then(function () { return shardsFor(term, term); }).then(function () {
          if (!entries[term]) { return []; }
          return lengthsFor(entries[term].fields ? [] : [term]).then(function () {
            var out = [];
            fields(entries[term]).forEach(function (field, f) {
              for (var i = 0; i < field.docs.length; i++) {
                out.push([f, field.docs[i], Math.round(field.weights[i] * 1000)]);
              }
            });
            return out;
          });
        });
      },
      // The raw lunr matches of the engine.
      matches: function (query) {
        return ready().then(function () { return match(prepare(query).trim()); });
      },
      // The results from the top to `end`, as the page shows them.
      ranked: function (query, sort, end) {
        return search(query, sort).then(function (answer) { return ranked(answer, end); });
      },
      // Every match in the order asked for, lunr scoring them all (what `ranked` must equal).
      ordered: function (query, sort) {
        return Promise.all([ready().then(function () { return match(prepare(query).trim()); }), ready().then(papers)])
          .then(function (done) {
            var results = done[0];
            results.forEach(function (r) { r.day = done[1].days[r.n]; r.upvotes = done[1].votes[r.n]; });
            return results.sort(ORDERS[sort in ORDERS ? sort : "relevance"]);
          });
      },
      // The same clauses as the engine's, run on another (a whole) lunr index.
      matchIndex: function (index, query) {
        return runQuery(index, parse(prepare(query).trim())).map(function (m) {
          return { ref: m.ref, score: m.score };
        });
      }
    }
  };
})();
