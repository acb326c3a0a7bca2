/* wikidesk's compact chat for iframes: same answers as the full chat, in a small space. */
(function () {
  "use strict";
  var main = document.querySelector(".chat");
  var form = document.getElementById("ask");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var transcript = document.getElementById("transcript");
  var empty = document.getElementById("empty");
  var history = [];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  // code typed into a program rather than a shell says which one
  var LANGUAGES = { r: "R", python: "Python", matlab: "MATLAB", mathematica: "Mathematica",
    julia: "Julia", perl: "Perl", code: "a program" };

  function link(href, text) {
    var a = el("a", null, text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function answerText(result) {
    var p = el("p", "text");
    var parts = result.answer.split(/(\[\d+\])/);
    parts.forEach(function (part) {
      var m = /^\[(\d+)\]$/.exec(part);
      var cit = m && result.citations[parseInt(m[1], 10) - 1];
      if (cit) {
        var a = link(cit.url, part);
        a.className = "marker";
        a.title = cit.title + (cit.section ? " \u203a " + cit.section : "");
        p.appendChild(a);
      } else {
        p.appendChild(document.createTextNode(part));
      }
    });
    return p;
  }

  function render(turn, result) {
    var body = turn.querySelector(".a");
    body.textContent = "";
    body.classList.remove("pending");
    body.appendChild(answerText(result));
    if (!result.answered) {
      var helpdesk = main.dataset.helpdesk;
      if (helpdesk) {
        var p = el("p", "ticket");
        p.appendChild(link(helpdesk, "Open a ticket"));
        body.appendChild(p);
      }
      return;
    }
    (result.warnings || []).forEach(function (w) { body.appendChild(el("p", "warning", w)); });
    var shown = [];
    (result.commands || []).forEach(function (c) {
      var inside = shown.some(function (s) { return s.indexOf(c.command) >= 0; });
      if (shown.length === 3 || inside) return;
      shown.push(c.command);
      if (c.language && c.language !== "shell") {
        body.appendChild(el("p", "lang", "In " + (LANGUAGES[c.language] || c.language) + ":"));
      }
      var pre = el("pre", "cmd");
      pre.appendChild(el("code", null, c.command));
      pre.tabIndex = 0;
      body.appendChild(pre);
    });
    var used = {};
    result.answer.replace(/\[(\d+)\]/g, function (_, n) { used[n] = true; return _; });
    var sources = el("ol", "sources");
    result.citations.forEach(function (c) {
      if (!used[c.n]) return;
      var li = el("li");
      li.value = c.n;
      li.appendChild(link(c.url, [c.title].concat(c.heading_path || []).join(" \u203a ")));
      sources.appendChild(li);
    });
    if (sources.children.length) body.appendChild(sources);
  }

  function ask(question) {
    empty.hidden = true;
    var turn = el("li", "turn");
    turn.appendChild(el("p", "q", question));
    var a = el("div", "a pending", "Looking in the wiki\u2026");
    turn.appendChild(a);
    transcript.appendChild(turn);
    input.disabled = send.disabled = true;
    fetch(main.dataset.api, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question, history: history.slice(-3) })
    })
      .then(function (resp) {
        return resp.json().then(function (body) {
          if (!resp.ok) throw new Error(body.error || "wikidesk answered " + resp.status);
          return body;
        });
      })
      .then(function (result) {
        history.push({ question: question });
        render(turn, result);
      })
      .catch(function (err) {
        a.classList.remove("pending");
        a.classList.add("error");
        a.textContent = "Sorry, no answer right now: " + (err && err.message ? err.message : "wikidesk is unreachable");
      })
      .then(function () {
        input.disabled = send.disabled = false;
        input.value = "";
        input.focus();
        turn.scrollIntoView({ block: "nearest" });
      });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (q && !input.disabled) ask(q);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
})();
