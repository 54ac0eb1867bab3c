/* wattprint dashboard: a running run's page, updated in place.
 *
 * Asks the page's live endpoint (#live's data-url) every data-every-s seconds
 * with the version the page shows; when the run changed, puts the new figures,
 * texts, power table rows and charts in place, with no reload. Stops once the
 * run has ended. Without JavaScript the page's <noscript> refresh reloads it
 * instead. No dependency, no build step; licence: the project's.
 */
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = Math.max(1, Number(live.dataset.everyS) || 5) * 1000;
  var wait = every;
  var longest = 60000;

  function say(text) {
    live.textContent = text;
  }

  function setFigures(figures) {
    Object.keys(figures || {}).forEach(function (name) {
      var el = document.querySelector('[data-figure="' + name + '"]');
      if (el) {
        el.textContent = figures[name].text;
        el.dataset.value = String(figures[name].value);
      }
    });
  }

  function setTexts(texts) {
    Object.keys(texts || {}).forEach(function (id) {
      var el = document.getElementById(id);
      if (el) {
        el.textContent = texts[id];
      }
    });
  }

  function setRows(rows) {
    var body = document.querySelector("table#series tbody");
    if (!body || !rows) {
      return;
    }
    var fresh = document.createElement("tbody");
    rows.forEach(function (cells) {
      var tr = document.createElement("tr");
      cells.forEach(function (text) {
        var td = document.createElement("td");
        td.className = "num";
        td.textContent = text;
        tr.appendChild(td);
      });
      fresh.appendChild(tr);
    });
    body.parentNode.replaceChild(fresh, body);
    var empty = rows.length === 0;
    var none = document.getElementById("no-samples");
    var section = document.getElementById("power-section");
    if (none) { none.hidden = !empty; }
    if (section) { section.hidden = empty; }
  }

  function setCharts(charts) {
    var parser = new DOMParser();
    Object.keys(charts || {}).forEach(function (id) {
      var holder = document.getElementById(id);
      if (!holder) {
        return;
      }
      var parsed = parser.parseFromString(charts[id], "image/svg+xml").documentElement;
      if (!parsed || parsed.nodeName.toLowerCase() !== "svg") {
        return;
      }
      var svg = document.importNode(parsed, true);
      var old = holder.querySelector("svg");
      if (old) {
        holder.replaceChild(svg, old);
      } else {
        holder.insertBefore(svg, holder.firstChild);
      }
    });
  }

  function setStatus(status) {
    var badge = document.getElementById("run-status");
    if (badge && badge.textContent !== status) {
      badge.textContent = status;
      badge.className = "status " + status;
    }
  }

  function apply(news) {
    setStatus(news.status);
    if (news.changed) {
      setFigures(news.figures);
      setTexts(news.texts);
      setRows(news.rows);
      setCharts(news.charts);
      live.dataset.version = news.version;
    }
  }

  function ask() {
    var url = live.dataset.url + "?v=" + encodeURIComponent(live.dataset.version || "");
    fetch(url, { credentials: "same-origin", cache: "no-store",
                 headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (answer.status === 401 || answer.status === 403) {
          say("Live updates stopped: you are signed out, or no longer allowed. Reload the page.");
          return null;
        }
        if (!answer.ok) {
          throw new Error("HTTP " + answer.status);
        }
        return answer.json();
      })
      .then(function (news) {
        if (news === null) {
          return;
        }
        apply(news);
        wait = every;
        var now = new Date().toLocaleTimeString();
        if (news.live) {
          say("Running: updated in place every " + every / 1000 + " s (last news " + now + ").");
          window.setTimeout(ask, wait);
        } else {
          say("The run has ended (" + news.status + "); these are its final figures.");
        }
      })
      .catch(function () {
        wait = Math.min(wait * 2, longest);
        say("Live updates: the server did not answer; trying again in " + wait / 1000 + " s.");
        window.setTimeout(ask, wait);
      });
  }

  say("Running: updated in place every " + every / 1000 + " s.");
  window.setTimeout(ask, every);
})();
