/* mitmachen: the live view of an assembly (the hall projector and the participants' phones).
 *
 * Listens to Server-Sent Events (`event: state` carries the JSON of the live view, `event:
 * clock` the server's time); falls back to polling live.json every second when EventSource is
 * missing, fails, or stays silent. The page was rendered on the server with the same text, so
 * nothing jumps when this starts. Data is written with textContent only, never as HTML.
 *
 * The two URLs come from the page (data-events-url, data-json-url). Their `?t=` is a read-only
 * viewer token (or the projector's), never the personal link that can speak and vote: every
 * poll lands in the access logs of the servers on the way.
 */
(function () {
  "use strict";

  var root = document.getElementById("live");
  var labelsNode = document.getElementById("live-labels");
  var stateNode = document.getElementById("live-state");
  if (!root || !labelsNode || !stateNode) {
    return;
  }
  var L = JSON.parse(labelsNode.textContent);
  var state = JSON.parse(stateNode.textContent);
  var version = state.version;
  var limit = parseInt(root.getAttribute("data-limit") || "0", 10) || 0;
  var me = parseInt(root.getAttribute("data-me") || "", 10) || null;
  // Server time minus this device's time: the countdown runs on the server's clock.
  var offset = (parseInt(root.getAttribute("data-server-now"), 10) || Date.now()) - Date.now();
  var shown = {speaker: key(state.speaker), queue: queueKey(state), ballots: ballotKey(state),
               mine: mineKey(state)};

  var POLL_MS = 1000;
  var SILENCE_MS = 40000; // the server sends its clock every 15 s: 40 s of silence is a dead stream
  var source = null;
  var failures = 0;
  var lastMessage = Date.now();
  var polling = false;
  var stopped = false;

  // The page's URL with the version this view shows (the server then answers 204 or skips it).
  function versioned(attribute) {
    var url = root.getAttribute(attribute) || "";
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "v=" + encodeURIComponent(version);
  }

  function part(name) {
    return document.querySelector('[data-live="' + name + '"]');
  }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, name) {
      return values[name] === null || values[name] === undefined ? "" : String(values[name]);
    });
  }

  function setText(name, text) {
    var node = part(name);
    if (node && node.textContent !== text) {
      node.textContent = text;
    }
  }

  function setHidden(name, hidden) {
    var node = part(name);
    if (node && node.hidden !== hidden) {
      node.hidden = hidden;
    }
  }

  function key(entry) {
    return entry ? [entry.request, entry.name, entry.category, entry.kind, entry.first_time].join("|") : "";
  }

  function queueKey(s) {
    return s.queue.map(key).join("/") + "#" + limit + "@" + me;
  }

  function ballotKey(s) {
    return s.ballots.map(function (b) { return b.key; }).join(",");
  }

  function mineKey(s) {
    if (!me) {
      return "";
    }
    return s.queue.filter(function (e) { return e.participant === me; })
      .map(function (e) { return e.request + ":" + e.kind; }).join(",") +
      "#" + s.assembly.status + "#" + (s.item ? s.item.id : "");
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  // The same parts as the server's template: name, symbol and category, notes.
  function person(target, entry) {
    target.appendChild(element("span", "live-name", entry.name));
    target.appendChild(document.createTextNode(" "));
    var category = element("span", "live-cat");
    var symbol = element("span", "", L.symbol[entry.category] || "");
    symbol.setAttribute("aria-hidden", "true");
    category.appendChild(symbol);
    category.appendChild(document.createTextNode(" " + (L.category[entry.category] || entry.category)));
    target.appendChild(category);
    var notes = [];
    if (entry.kind !== "regular") {
      notes.push(L.kind[entry.kind] || entry.kind);
    }
    if (!entry.first_time) {
      notes.push(L.repeat);
    }
    if (notes.length) {
      target.appendChild(document.createTextNode(" "));
      target.appendChild(element("span", "live-notes", "· " + notes.join(" · ")));
    }
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function renderSpeaker(s) {
    var node = part("speaker");
    var k = key(s.speaker);
    if (!node || k === shown.speaker) {
      return; // untouched: the polite live region announces only a new speaker
    }
    shown.speaker = k;
    clear(node);
    if (s.speaker) {
      person(node, s.speaker);
    } else {
      node.textContent = L.nobody_speaking;
    }
  }

  function renderQueue(s) {
    var node = part("queue");
    var k = queueKey(s);
    if (node && k !== shown.queue) {
      shown.queue = k;
      clear(node);
      var rows = limit ? s.queue.slice(0, limit) : s.queue;
      rows.forEach(function (entry) {
        var li = element("li");
        if (me && entry.participant === me) {
          li.className = "mine";
          li.setAttribute("aria-current", "true");
        }
        person(li, entry);
        node.appendChild(li);
      });
    }
    setHidden("queue-empty", s.queue.length > 0);
    var more = limit && s.queue.length > limit ? fmt(L.more, {n: s.queue.length - limit}) : "";
    setText("queue-more", more);
    setHidden("queue-more", !more);
  }

  function renderMine(s) {
    if (!me) {
      return;
    }
    var text = "";
    if (s.speaker && s.speaker.participant === me) {
      text = L.my_turn;
    } else {
      for (var i = 0; i < s.queue.length; i += 1) {
        if (s.queue[i].participant === me) {
          text = fmt(L.my_place, {n: i + 1});
          break;
        }
      }
    }
    setText("mine", text);
    var k = mineKey(s);
    if (k === shown.mine) {
      return;
    }
    shown.mine = k;
    // Asking to speak is possible while the assembly is in session and an item is called.
    var open = s.assembly.status === "in_session" && !!s.item;
    setHidden("speak-form", !open);
    setHidden("speak-closed", open);
    var list = part("my-requests");
    var template = document.getElementById("withdraw-template");
    if (!list || !template) {
      return;
    }
    clear(list);
    s.queue.forEach(function (entry) {
      if (entry.participant !== me) {
        return;
      }
      var li = template.content.firstElementChild.cloneNode(true);
      li.querySelector("[data-kind]").textContent = L.kind[entry.kind] || entry.kind;
      li.querySelector("[data-request]").value = String(entry.request);
      list.appendChild(li);
    });
    setHidden("my-requests-block", !list.firstChild);
  }

  function renderBallots(s) {
    var node = part("ballots");
    if (node) {
      var lines = s.ballots.map(function (b) {
        return (L[b.kind] || b.kind) + ": " + b.title + " – " +
          (b.cast !== null && b.cast !== undefined ? fmt(L.ballots_cast, b) : L.voting_open);
      });
      if (lines.join("\n") !== Array.prototype.map.call(node.children, function (li) {
        return li.textContent;
      }).join("\n")) {
        clear(node);
        lines.forEach(function (line) { node.appendChild(element("li", "", line)); });
      }
    }
    var k = ballotKey(s);
    if (k !== shown.ballots) {
      shown.ballots = k;
      // The phone's voting panel (htmx, hx-trigger="live-ballot from:body") reloads itself.
      document.body.dispatchEvent(new CustomEvent("live-ballot", {detail: {ballots: k}}));
    }
  }

  function apply(s) {
    state = s;
    version = s.version;
    setText("status", L.status[s.assembly.status] || "");
    setText("item", s.item ? fmt(L.item, {number: s.item.number, title: s.item.title}) : L.no_item);
    setHidden("list-closed", !(s.item && s.item.list_closed));
    renderSpeaker(s);
    renderQueue(s);
    renderMine(s);
    var q = s.quorum;
    var quorum = fmt(L.quorum, q);
    if (q.required !== null && q.required !== undefined) {
      quorum += " · " + fmt(q.met ? L.quorum_met : L.quorum_missing, q);
    }
    setText("quorum", quorum);
    renderBallots(s);
    tick();
  }

  function tick() {
    var node = part("countdown");
    if (!node) {
      return;
    }
    var speaker = state.speaker;
    if (!speaker || !speaker.started_ms) {
      node.hidden = true;
      return;
    }
    var left = Math.ceil((speaker.started_ms + speaker.seconds * 1000 - (Date.now() + offset)) / 1000);
    var abs = Math.abs(left);
    var seconds = abs % 60;
    var text = (left < 0 ? "+" : "") + Math.floor(abs / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
    if (node.textContent !== text) {
      node.textContent = text;
    }
    if (node.classList.contains("over") !== left < 0) {
      node.classList.toggle("over", left < 0);
    }
    node.hidden = false;
  }

  function clockFrom(value) {
    var t = parseInt(value, 10);
    if (t) {
      offset = t - Date.now();
    }
  }

  // --- polling (the fallback) ----------------------------------------------------------------

  function poll() {
    if (stopped) {
      return;
    }
    var request = new XMLHttpRequest();
    request.open("GET", versioned("data-json-url"));
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      clockFrom(request.getResponseHeader("X-Server-Time"));
      if (request.status === 200) {
        try {
          apply(JSON.parse(request.responseText));
        } catch (_error) { /* a broken answer: the next poll brings a whole one */ }
      } else if (request.status === 404) {
        stopped = true; // the link was revoked or the assembly removed
        return;
      }
      window.setTimeout(poll, POLL_MS);
    };
    request.onerror = function () {
      window.setTimeout(poll, POLL_MS * 3); // offline for a moment: try again, less often
    };
    request.send();
  }

  function startPolling() {
    if (source) {
      source.close();
      source = null;
    }
    if (!polling) {
      polling = true;
      poll();
    }
  }

  // --- Server-Sent Events --------------------------------------------------------------------

  function heard() {
    failures = 0;
    lastMessage = Date.now();
  }

  function listen() {
    if (!window.EventSource) {
      startPolling();
      return;
    }
    source = new EventSource(versioned("data-events-url"));
    source.addEventListener("state", function (event) {
      heard();
      try {
        apply(JSON.parse(event.data));
      } catch (_error) { /* ignore a broken event; the next change sends a whole one */ }
    });
    source.addEventListener("clock", function (event) {
      heard();
      clockFrom(event.data);
    });
    source.onerror = function () {
      // The browser reconnects by itself (with Last-Event-ID); give up after repeated failures.
      failures += 1;
      if (source && (source.readyState === 2 || failures >= 3)) {
        startPolling();
      }
    };
  }

  window.setInterval(function () {
    tick();
    if (source && Date.now() - lastMessage > SILENCE_MS) {
      startPolling(); // a proxy that buffers the stream: nothing ever arrives
    }
  }, 250);
  renderMine(state);
  listen();
}());
