/* Live updates: redraws the parts of the page that other screens changed.

   Parts are marked with data-live="topic ..." (the {% live %} tag) and an id.
   Every INTERVAL this asks /live/ for the versions of the topics on the page
   (a 304 when nothing changed). When some changed:
   - an element whose hx-trigger includes "live" gets a "live" event and asks
     for its own fragment (e.g. the till's search results);
   - the others are redrawn from a fresh copy of this page, matched by id.
   A part holding the focus of a field being typed in is redrawn when the
   focus leaves it. Polling pauses while the tab is hidden. See docs/live.md. */
(function () {
  "use strict";

  var body = document.body;
  var url = body.dataset.liveUrl;
  if (!url || !window.fetch) return;

  var INTERVAL = 2000;
  var MAX_BACKOFF = 30000;
  var since = parseFloat(body.dataset.liveSince || "0");
  var seen = null;    // {topic: version} from the last answer
  var etag = null;
  var delay = INTERVAL;
  var timer = null;
  var inFlight = false;
  var waiting = new Set();  // ids of parts to redraw once the user leaves them

  function topicsOnPage() {
    var topics = new Set();
    document.querySelectorAll("[data-live]").forEach(function (el) {
      el.dataset.live.split(/\s+/).forEach(function (t) { if (t) topics.add(t); });
    });
    return Array.from(topics).sort();
  }

  function schedule(ms) {
    clearTimeout(timer);
    if (!document.hidden) timer = setTimeout(poll, ms);
  }

  function poll() {
    var topics = topicsOnPage();
    if (!topics.length || inFlight) return schedule(INTERVAL);
    inFlight = true;
    // The key goes in a header, not the URL, so it stays out of access logs.
    var headers = { "X-Live-Key": body.dataset.liveKey };
    if (etag) headers["If-None-Match"] = etag;
    var query = "?topics=" + encodeURIComponent(topics.join(","));
    fetch(url + query, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 304) return null;
        if (response.status === 403) { stop(); return null; }
        if (!response.ok) throw new Error("live: " + response.status);
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (answer) {
        delay = INTERVAL;
        if (answer) compare(answer.topics);
      })
      .catch(function () { delay = Math.min(delay * 2, MAX_BACKOFF); })
      .finally(function () {
        inFlight = false;
        if (timer !== false) schedule(delay);
      });
  }

  function stop() { clearTimeout(timer); timer = false; }

  function compare(topics) {
    var changed = [];
    Object.keys(topics).forEach(function (name) {
      var now = topics[name];
      if (seen === null || !(name in seen)) {
        // First sight of a topic: changed after this page was drawn?
        if (now.at > since) changed.push(name);
      } else if (seen[name] !== now.version) {
        changed.push(name);
      }
    });
    seen = seen || {};
    Object.keys(topics).forEach(function (name) { seen[name] = topics[name].version; });
    if (changed.length) refresh(changed);
  }

  function partsFor(topics) {
    return Array.from(document.querySelectorAll("[data-live]")).filter(function (el) {
      return el.dataset.live.split(/\s+/).some(function (t) { return topics.indexOf(t) >= 0; });
    });
  }

  function ownsFragment(el) {
    return /(^|[\s,])live([\s,]|$)/.test(el.getAttribute("hx-trigger") || "");
  }

  // Someone is typing in it, has changed one of its fields (ticked rows of a
  // list, say), or has a menu of it open: do not pull it away.
  function busy(el) {
    var active = document.activeElement;
    if (active && el.contains(active) && active.matches("input, textarea, select, [contenteditable]")) {
      return true;
    }
    return !!el.querySelector(".dropdown-menu.show, .modal.show") || edited(el);
  }

  function edited(el) {
    return Array.from(el.querySelectorAll("input, textarea, select")).some(function (field) {
      if (field.type === "checkbox" || field.type === "radio") {
        return field.checked !== field.defaultChecked;
      }
      if (field.tagName === "SELECT") {
        return Array.from(field.options).some(function (o) { return o.selected !== o.defaultSelected; });
      }
      return field.type !== "hidden" && field.value !== field.defaultValue;
    });
  }

  function refresh(topics) {
    var fromPage = [];
    partsFor(topics).forEach(function (el) {
      if (ownsFragment(el)) {
        if (window.htmx) window.htmx.trigger(el, "live");
      } else if (el.id) {
        fromPage.push(el.id);
      }
    });
    if (fromPage.length) redraw(fromPage);
  }

  function redraw(ids) {
    var drawnAt = Date.now() / 1000;
    // X-Live-Redraw: the copy is not shown, so it must not use up the page's
    // one-time messages ("Sale R-000042 complete.").
    fetch(window.location.href, {
      cache: "no-store", credentials: "same-origin", headers: { "X-Live-Redraw": "1" }
    })
      .then(function (response) {
        if (!response.ok || response.redirected) return null;
        return response.text();
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          var el = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (!el || !next) return;
          if (busy(el)) { waiting.add(id); return; }
          swap(el, next);
        });
        since = Math.max(since, drawnAt);
      })
      .catch(function () { /* the next change tries again */ });
  }

  function swap(el, next) {
    el.replaceWith(next);
    var placed = document.getElementById(next.id) || next;
    if (window.htmx) window.htmx.process(placed);
    if (window.POS && window.POS.renderCharts) window.POS.renderCharts(placed);
    placed.dispatchEvent(new CustomEvent("live:redrawn", { bubbles: true }));
  }

  document.addEventListener("focusout", function () {
    if (!waiting.size) return;
    setTimeout(function () {
      var ids = Array.from(waiting).filter(function (id) {
        var el = document.getElementById(id);
        return el && !busy(el);
      });
      ids.forEach(function (id) { waiting.delete(id); });
      if (ids.length) redraw(ids);
    }, 0);
  });

  document.addEventListener("visibilitychange", function () {
    if (timer === false) return;
    if (document.hidden) clearTimeout(timer); else schedule(0);
  });

  window.POS = window.POS || {};
  window.POS.live = { poll: poll, topics: topicsOnPage };
  schedule(INTERVAL);
})();
