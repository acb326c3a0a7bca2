/* wikidesk chat: plain DOM, no framework, no external requests.
 * Server strings are only ever placed with textContent, never innerHTML. */
(function () {
  "use strict";

  var HISTORY_TURNS = 3;
  var VISIBLE_SOURCES = 3;
  var VISIBLE_COMMANDS = 3;
  var STORAGE_KEY = "wikidesk.transcript.v1";

  var main = document.getElementById("wd_main");
  var form = document.getElementById("ask-form");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var transcript = document.getElementById("transcript");
  var welcome = document.getElementById("welcome");
  var newChat = document.getElementById("new-chat");
  var helpdeskUrl = main.getAttribute("data-helpdesk-url") || "";
  var turns = loadTurns();
  var busy = false;
  var turnCounter = 0;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function loadTurns() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) {
      return [];
    }
  }

  function saveTurns() {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(turns.slice(-30)));
    } catch (e) {
      /* private mode or full storage: the chat still works, it is just not restored */
    }
  }

  /* The previous questions as the server should read them: a rewritten follow-up carries its
   * full meaning, so the next follow-up still knows the topic. */
  function history() {
    return turns
      .filter(function (t) { return t.result; })
      .slice(-HISTORY_TURNS)
      .map(function (t) { return { question: t.result.interpreted_as || t.question }; });
  }

  function setBusy(on) {
    busy = on;
    input.disabled = on;
    send.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    send.textContent = on ? "Asking…" : "Ask";
  }

  function showWelcome() {
    var empty = turns.length === 0;
    welcome.hidden = !empty;
    newChat.hidden = empty;
  }

  function scrollToEnd(node) {
    if (node && node.scrollIntoView) node.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  /* ------------------------------------------------------------------ rendering */

  function renderQuestion(text) {
    var wrap = el("div", "turn turn--user");
    wrap.appendChild(el("span", "visually-hidden", "You asked: "));
    wrap.appendChild(el("p", "bubble", text));
    return wrap;
  }

  function withHighlights(text, spans) {
    var frag = document.createDocumentFragment();
    var pos = 0;
    (spans || [])
      .filter(function (s) { return Array.isArray(s) && s.length === 2 && s[0] < s[1]; })
      .sort(function (a, b) { return a[0] - b[0]; })
      .forEach(function (s) {
        var start = Math.max(s[0], pos);
        var end = Math.min(s[1], text.length);
        if (start >= end) return;
        if (start > pos) frag.appendChild(document.createTextNode(text.slice(pos, start)));
        frag.appendChild(el("mark", null, text.slice(start, end)));
        pos = end;
      });
    if (pos < text.length) frag.appendChild(document.createTextNode(text.slice(pos)));
    return frag;
  }

  function sourceHref(c, question) {
    var url = c.url || "";
    if (url.charAt(0) !== "/") return url; /* the configured wiki, as it is */
    var hash = url.indexOf("#");
    var path = hash >= 0 ? url.slice(0, hash) : url;
    var frag = hash >= 0 ? url.slice(hash) : "";
    var params = new URLSearchParams();
    if (question) params.set("hl", question);
    if (c.anchor) params.set("section", c.anchor);
    var qs = params.toString();
    return path + (qs ? "?" + qs : "") + frag;
  }

  function sourceLabel(c) {
    var path = (c.heading_path || []).filter(Boolean);
    return [c.title].concat(path).join(" › ");
  }

  function markerLink(n, c, question) {
    var a = el("a", "marker", "[" + n + "]");
    a.href = sourceHref(c, question);
    a.title = "Source " + n + ": " + sourceLabel(c);
    a.setAttribute("aria-label", "source " + n + ", " + sourceLabel(c));
    return a;
  }

  /* The answer's sentences, each followed by a link to its source. The structured `sentences`
   * are used when the server sends them; otherwise the "[n]" markers of `answer` are found.
   * Footnote markers glued to a word ("venvs)[4]") are the wiki's, not ours, and stay text. */
  function renderAnswerText(result, byNumber, question) {
    var p = el("p", "answer__text");
    var sentences = Array.isArray(result.sentences) ? result.sentences : [];
    if (sentences.length && sentences.every(function (s) { return byNumber[String(s.citation)]; })) {
      sentences.forEach(function (s, i) {
        p.appendChild(document.createTextNode((i ? " " : "") + s.text + " "));
        p.appendChild(markerLink(s.citation, byNumber[String(s.citation)], question));
      });
      return p;
    }
    var answer = result.answer;
    var re = /(^|\s)\[(\d{1,2})\](?=\s|$)/g;
    var last = 0;
    var m;
    while ((m = re.exec(answer)) !== null) {
      var c = byNumber[m[2]];
      if (!c) continue;
      var at = m.index + m[1].length;
      p.appendChild(document.createTextNode(answer.slice(last, at)));
      p.appendChild(markerLink(m[2], c, question));
      last = at + m[0].length - m[1].length;
    }
    p.appendChild(document.createTextNode(answer.slice(last)));
    return p;
  }

  // Code the wiki shows typed into a program, not a shell, says which one.
  var LANGUAGES = { r: "R", python: "Python", matlab: "MATLAB", mathematica: "Mathematica",
    julia: "Julia", perl: "Perl", code: "a program" };

  function renderCommand(cmd) {
    var box = el("div", "command");
    var language = cmd.language && cmd.language !== "shell" ? (LANGUAGES[cmd.language] || cmd.language) : "";
    if (language) box.appendChild(el("p", "command__lang", "In " + language + ":"));
    var pre = el("pre", "command__code");
    pre.appendChild(el("code", null, cmd.command));
    box.appendChild(pre);
    var button = el("button", "button button--copy", "Copy");
    button.type = "button";
    button.setAttribute("aria-label", (language ? "Copy " + language + " code: " : "Copy command: ") + cmd.command);
    var status = el("span", "command__status visually-hidden");
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      copyText(cmd.command).then(
        function () { flash(button, status, "Copied"); },
        function () { flash(button, status, "Copy failed: select the text and copy it by hand"); }
      );
    });
    box.appendChild(button);
    box.appendChild(status);
    if (cmd.placeholders && cmd.placeholders.length) {
      box.appendChild(el("p", "command__note", "Replace " + cmd.placeholders.map(function (p) {
        return "<" + p + ">";
      }).join(", ") + " with your own value."));
    }
    return box;
  }

  function flash(button, status, text) {
    button.textContent = text === "Copied" ? "Copied" : "Copy";
    status.textContent = text;
    status.classList.toggle("visually-hidden", text === "Copied");
    button.classList.toggle("is-done", text === "Copied");
    window.clearTimeout(button._timer);
    button._timer = window.setTimeout(function () {
      button.textContent = "Copy";
      button.classList.remove("is-done");
      status.textContent = "";
    }, 2500);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return legacyCopy(text); });
    }
    return legacyCopy(text);
  }

  function legacyCopy(text) {
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.top = "-1000px";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      (ok ? resolve : reject)();
    });
  }

  function renderSources(result, id, question) {
    var box = el("section", "sources");
    var title = el("h3", "sources__title", result.answered ? "Sources" : "Closest wiki sections");
    title.id = id + "-sources";
    box.setAttribute("aria-labelledby", title.id);
    box.appendChild(title);
    var list = el("ol", "sources__list");
    var more = null;
    /* An unanswered question's nearest sections are rarely relevant: they stay folded. */
    var visible = result.answered ? VISIBLE_SOURCES : 0;
    result.citations.forEach(function (c, i) {
      var li = el("li", "source");
      li.id = id + "-source-" + c.n;
      li.appendChild(el("span", "source__n", c.n));
      var body = el("div", "source__body");
      var link = el("a", "source__link", sourceLabel(c));
      link.href = sourceHref(c, question);
      body.appendChild(link);
      if (c.snippet) {
        var snip = el("p", "source__snippet");
        snip.appendChild(withHighlights(c.snippet, c.highlights));
        body.appendChild(snip);
      }
      li.appendChild(body);
      if (i < visible) {
        list.appendChild(li);
        return;
      }
      if (!more) {
        more = el("details", "sources__more");
        var rest = result.citations.length - visible;
        var label = visible ? rest + " more source" + (rest > 1 ? "s" : "") : "Show " + rest + " section" + (rest > 1 ? "s" : "");
        more.appendChild(el("summary", null, label));
        more.appendChild(el("ol", "sources__list"));
      }
      more.lastChild.appendChild(li);
    });
    if (visible) box.appendChild(list);
    if (more) box.appendChild(more);
    return box;
  }

  function renderFeedback(turn) {
    var box = el("div", "feedback");
    var label = el("span", "feedback__label", "Was this helpful?");
    var group = el("div", "feedback__buttons");
    group.setAttribute("role", "group");
    label.id = "fb-" + (++turnCounter);
    group.setAttribute("aria-labelledby", label.id);
    var status = el("span", "feedback__status");
    status.setAttribute("role", "status");
    [["Yes", true], ["No", false]].forEach(function (choice) {
      var b = el("button", "button button--small", choice[0]);
      b.type = "button";
      b.setAttribute("data-helpful", choice[1] ? "yes" : "no");
      b.addEventListener("click", function () { sendFeedback(turn, choice[1], group, status); });
      group.appendChild(b);
    });
    box.appendChild(label);
    box.appendChild(group);
    box.appendChild(status);
    if (typeof turn.helpful === "boolean") showThanks(turn, group, status);
    return box;
  }

  /* After a vote, and again when a restored conversation is drawn: one vote per answer. */
  function showThanks(turn, group, status) {
    group.hidden = true;
    status.textContent = turn.helpful ? "Thanks! Glad it helped." : "Thanks, this helps us improve the wiki.";
    if (!turn.helpful && turn.result.answered && helpdeskUrl) {
      var a = el("a", "feedback__ticket", "Open a ticket");
      a.href = helpdeskUrl;
      a.rel = "noopener";
      status.parentNode.appendChild(a);
    }
  }

  function sendFeedback(turn, helpful, group, status) {
    var result = turn.result;
    var buttons = group.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    var top = result.citations[0] || {};
    postJSON("/api/feedback", {
      question: result.interpreted_as || turn.question,
      helpful: helpful,
      page: top.page || "",
      section: top.anchor || "",
      kind: "helpful",
      origin: "chat"
    }).then(function () {
      turn.helpful = helpful;
      saveTurns();
      status.classList.remove("is-error");
      showThanks(turn, group, status);
    }, function (err) {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      status.textContent = "Could not send feedback: " + err.message;
      status.classList.add("is-error");
    });
  }

  function renderAnswer(turn) {
    var result = turn.result;
    var id = "turn-" + (++turnCounter);
    var wrap = el("article", "turn turn--answer" + (result.answered ? "" : " is-unanswered"));
    wrap.id = id;
    wrap.setAttribute("aria-label", "Answer to: " + turn.question);
    var byNumber = {};
    result.citations.forEach(function (c) { byNumber[String(c.n)] = c; });

    if (result.interpreted_as) {
      var interp = el("p", "answer__interpreted");
      interp.appendChild(el("span", null, "Read as: "));
      interp.appendChild(el("q", null, result.interpreted_as));
      wrap.appendChild(interp);
    }
    if (result.answered) {
      wrap.appendChild(renderAnswerText(result, byNumber, result.interpreted_as || turn.question));
    } else {
      wrap.appendChild(el("p", "answer__text", result.answer));
      if (helpdeskUrl) {
        var ticket = el("p", "answer__ticket");
        var a = el("a", "button button--primary", "Open a ticket");
        a.href = helpdeskUrl;
        a.rel = "noopener";
        ticket.appendChild(a);
        wrap.appendChild(ticket);
      }
    }
    if (result.warnings && result.warnings.length) {
      var warn = el("ul", "warnings");
      warn.setAttribute("aria-label", "Warnings");
      result.warnings.forEach(function (w) {
        var li = el("li", "warning");
        li.appendChild(el("span", "warning__icon", "!"));
        li.appendChild(el("span", null, w));
        warn.appendChild(li);
      });
      wrap.appendChild(warn);
    }
    if (result.answered && result.commands && result.commands.length) {
      var cmds = el("section", "commands");
      var h = el("h3", "commands__title", result.commands.length > 1 ? "Commands" : "Command");
      cmds.appendChild(h);
      var moreCmds = null;
      result.commands.forEach(function (c, i) {
        if (i < VISIBLE_COMMANDS) {
          cmds.appendChild(renderCommand(c));
          return;
        }
        if (!moreCmds) {
          var rest = result.commands.length - VISIBLE_COMMANDS;
          moreCmds = el("details", "commands__more");
          moreCmds.appendChild(el("summary", null, rest + " more command" + (rest > 1 ? "s" : "")));
          cmds.appendChild(moreCmds);
        }
        moreCmds.appendChild(renderCommand(c));
      });
      wrap.appendChild(cmds);
    }
    if (result.citations && result.citations.length) {
      wrap.appendChild(renderSources(result, id, result.interpreted_as || turn.question));
    }
    wrap.appendChild(renderFeedback(turn));
    return wrap;
  }

  function renderError(turn) {
    var wrap = el("div", "turn turn--error");
    wrap.setAttribute("role", "alert");
    wrap.appendChild(el("p", "error__title", "Sorry, that did not work."));
    wrap.appendChild(el("p", "error__message", turn.error));
    var retry = el("button", "button button--small", "Try again");
    retry.type = "button";
    retry.addEventListener("click", function () {
      turns = turns.filter(function (t) { return t !== turn; });
      saveTurns();
      wrap.parentNode && wrap.parentNode.removeChild(wrap);
      ask(turn.question, true);
    });
    wrap.appendChild(retry);
    return wrap;
  }

  function renderTurn(turn) {
    var frag = document.createDocumentFragment();
    var q = renderQuestion(turn.question);
    frag.appendChild(q);
    frag.appendChild(turn.error ? renderError(turn) : renderAnswer(turn));
    transcript.appendChild(frag);
    return q;
  }

  /* ------------------------------------------------------------------ requests */

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var msg = data && data.error ? data.error : "the server answered " + resp.status + " " + resp.statusText;
          throw new Error(msg);
        }
        if (!data) throw new Error("the server sent a reply that is not JSON");
        return data;
      });
    }, function () {
      throw new Error("the wikidesk server cannot be reached; check your connection and try again.");
    });
  }

  function ask(question, retrying) {
    question = question.trim();
    if (!question || busy) return;
    welcome.hidden = true;
    setBusy(true);
    var pending = renderQuestion(question);
    transcript.appendChild(pending);
    var waiting = el("div", "turn turn--waiting");
    waiting.appendChild(el("span", "dots", ""));
    waiting.appendChild(el("span", null, "Searching the wiki…"));
    transcript.appendChild(waiting);
    scrollToEnd(pending);
    var body = { question: question, history: history() };
    postJSON("/api/ask", body).then(
      function (result) { return { question: question, result: result }; },
      function (err) { return { question: question, error: err.message }; }
    ).then(function (turn) {
      transcript.removeChild(pending);
      transcript.removeChild(waiting);
      turns.push(turn);
      saveTurns();
      var q = renderTurn(turn);
      showWelcome();
      setBusy(false);
      if (!turn.error && !retrying) input.value = "";
      if (turn.error) input.value = question;
      autosize();
      input.focus();
      scrollToEnd(q);
    });
  }

  /* ------------------------------------------------------------------ input */

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 200) + "px";
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    ask(input.value);
  });

  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      ask(input.value);
    }
  });
  input.addEventListener("input", autosize);

  Array.prototype.forEach.call(document.querySelectorAll(".example"), function (b) {
    b.addEventListener("click", function () { ask(b.textContent); });
  });

  newChat.addEventListener("click", function () {
    turns = [];
    saveTurns();
    Array.prototype.slice.call(transcript.children).forEach(function (child) {
      if (child !== welcome) transcript.removeChild(child);
    });
    showWelcome();
    input.value = "";
    input.focus();
  });

  /* A restored conversation (after opening a source and coming back) is not announced again. */
  transcript.setAttribute("aria-live", "off");
  turns.forEach(renderTurn);
  transcript.setAttribute("aria-live", "polite");
  showWelcome();
  if (!turns.length) input.focus();
})();
