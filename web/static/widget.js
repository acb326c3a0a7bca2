/*! wikidesk widget: suggests wiki answers while someone types a helpdesk ticket.
 *
 * <script src="https://WIKIDESK/widget.js" data-wikidesk-fields="#subject,#description" defer></script>
 *
 * data-wikidesk-fields   CSS selectors of the fields to read, comma-separated (default "textarea")
 * data-wikidesk-target   CSS selector of the element to put the panel in (default: after the last
 *                        field, or after its hint when the field is aria-describedby that hint)
 * data-wikidesk-max      how many suggestions to show, 1-5 (default 3)
 * data-wikidesk-theme    light, dark or auto (default auto: follows the reader's system setting)
 * data-wikidesk-lang     en, es or de (default: the page's lang attribute, else en)
 * data-wikidesk-api      wikidesk's base URL (default: where this script was loaded from)
 *
 * The widget never touches the form's own behaviour and stays silent when wikidesk is away.
 */
(function () {
  "use strict";

  var script = document.currentScript ||
    document.querySelector("script[data-wikidesk-fields]") ||
    document.querySelector('script[src*="widget.js"]');
  if (!script || !window.fetch || !Element.prototype.attachShadow || window.__wikideskWidget) return;
  window.__wikideskWidget = true;

  var LABELS = {
    en: {
      heading: "The wiki may already answer this",
      readMore: "Read more",
      newTab: "(opens in a new tab)",
      solved: "This solved my problem",
      thanks: "Glad that helped. You do not need to send the ticket, but you still can.",
      close: "Hide suggestions",
      found: function (n) { return n === 1 ? "1 suggestion from the wiki below the description" : n + " suggestions from the wiki below the description"; },
      commands: "Commands"
    },
    es: {
      heading: "Puede que la wiki ya responda a esto",
      readMore: "Leer más",
      newTab: "(se abre en una pestaña nueva)",
      solved: "Esto resolvió mi problema",
      thanks: "Nos alegra que haya servido. No hace falta enviar el ticket, pero aún puede hacerlo.",
      close: "Ocultar sugerencias",
      found: function (n) { return n === 1 ? "1 sugerencia de la wiki bajo la descripción" : n + " sugerencias de la wiki bajo la descripción"; },
      commands: "Comandos"
    },
    de: {
      heading: "Vielleicht beantwortet das Wiki dies schon",
      readMore: "Weiterlesen",
      newTab: "(öffnet in neuem Tab)",
      solved: "Das hat mein Problem gelöst",
      thanks: "Schön, dass es geholfen hat. Sie müssen das Ticket nicht senden, können es aber trotzdem.",
      close: "Vorschläge ausblenden",
      found: function (n) { return n === 1 ? "1 Vorschlag aus dem Wiki unter der Beschreibung" : n + " Vorschläge aus dem Wiki unter der Beschreibung"; },
      commands: "Befehle"
    }
  };
  var STOPWORDS = ("the and for are but not you your all any can had her was one our out has have " +
    "his how its may new now see who did get got him let she too use with this that from they " +
    "what when where which will would there their then than them been into just like some does " +
    "dont cant help please thanks hello hi my me in on of to is it an a at be do i").split(" ");
  var DEBOUNCE_MS = 400;
  var MIN_WORDS = 3;
  var MAX_QUERY_CHARS = 600;

  var data = script.dataset;
  var api = (data.wikideskApi || new URL(".", script.src).href).replace(/\/+$/, "");
  var max = Math.min(Math.max(parseInt(data.wikideskMax, 10) || 3, 1), 5);
  var theme = /^(light|dark|auto)$/.test(data.wikideskTheme || "") ? data.wikideskTheme : "auto";
  var lang = (data.wikideskLang || document.documentElement.lang || "en").slice(0, 2).toLowerCase();
  var t = LABELS[lang] || LABELS.en;
  var selectors = (data.wikideskFields || "textarea").split(",").map(function (s) { return s.trim(); })
    .filter(Boolean);

  var fields = [], host = null, root = null, panel = null, list = null, live = null;
  var timer = 0, seq = 0, controller = null, lastQuery = "", shownQuery = "", pausedUntil = 0, pause = 30000;

  function start() {
    try {
      selectors.forEach(function (sel) {
        document.querySelectorAll(sel).forEach(function (el) {
          if (fields.indexOf(el) < 0) fields.push(el);
        });
      });
    } catch (e) { return; }
    if (!fields.length) return;
    build();
    fields.forEach(function (el) { el.addEventListener("input", schedule, { passive: true }); });
    if (query()) schedule();
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function build() {
    host = document.createElement("wikidesk-suggestions");
    var target = data.wikideskTarget && document.querySelector(data.wikideskTarget);
    if (target) target.appendChild(host);
    else {
      var last = fields[fields.length - 1];
      var hint = last.nextElementSibling;
      var described = (last.getAttribute("aria-describedby") || "").split(/\s+/);
      if (hint && hint.id && described.indexOf(hint.id) >= 0) last = hint;
      last.insertAdjacentElement("afterend", host);
    }
    root = host.attachShadow({ mode: "open" });
    var style = el("style");
    style.textContent = CSS;
    root.appendChild(style);
    live = el("div", "sr");
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    root.appendChild(live);
    panel = el("section", "panel " + theme);
    panel.hidden = true;
    panel.setAttribute("aria-label", t.heading);
    panel.setAttribute("lang", LABELS[lang] ? lang : "en");
    var head = el("div", "head");
    head.appendChild(el("h2", "title", t.heading));
    var close = el("button", "close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", t.close);
    close.addEventListener("click", function () { hide(); focusLastField(); });
    head.appendChild(close);
    panel.appendChild(head);
    list = el("ol", "list");
    panel.appendChild(list);
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); hide(); focusLastField(); }
    });
    root.appendChild(panel);
  }

  function focusLastField() {
    try { fields[fields.length - 1].focus({ preventScroll: true }); } catch (e) { /* gone */ }
  }

  function query() {
    var text = fields.map(function (f) { return (f.value || "").trim(); }).filter(Boolean).join(". ");
    text = text.replace(/\s+/g, " ").slice(0, MAX_QUERY_CHARS);
    var words = text.toLowerCase().match(/[a-z0-9\u00c0-\u024f][a-z0-9\u00c0-\u024f._\/+-]*/g) || [];
    var meaningful = words.filter(function (w) { return w.length > 2 && STOPWORDS.indexOf(w) < 0; });
    return meaningful.length >= MIN_WORDS ? text : "";
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  }

  function run() {
    var q = query();
    if (!q) {
      if (controller) controller.abort();
      lastQuery = "";
      hide();
      return;
    }
    if (q === lastQuery || Date.now() < pausedUntil) return;
    lastQuery = q;
    if (controller) controller.abort();
    var mine = ++seq;
    controller = window.AbortController ? new AbortController() : null;
    var url = api + "/api/suggest?n=" + max + "&q=" + encodeURIComponent(q);
    fetch(url, { mode: "cors", credentials: "omit", signal: controller && controller.signal })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (body) {
        if (mine !== seq) return;
        controller = null;
        pause = 30000;
        show(q, body && Array.isArray(body.suggestions) ? body.suggestions.slice(0, max) : []);
      })
      .catch(function (err) {
        if (mine !== seq || (err && err.name === "AbortError")) return;
        controller = null;
        lastQuery = "";
        pausedUntil = Date.now() + pause;
        pause = Math.min(pause * 2, 600000);
      });
  }

  function hide() {
    if (panel && !panel.hidden) panel.hidden = true;
    shownQuery = "";
  }

  function show(q, suggestions) {
    if (!suggestions.length) { hide(); return; }
    var key = suggestions.map(function (s) { return s.url; }).join(" ");
    if (!panel.hidden && key === shownQuery) { panel.dataset.q = q; return; }
    shownQuery = key;
    panel.dataset.q = q;
    list.textContent = "";
    suggestions.forEach(function (s) { list.appendChild(card(s)); });
    panel.hidden = false;
    live.textContent = t.found(suggestions.length);
  }

  function card(s) {
    var item = el("li", "card");
    var parents = (s.heading_path || []).slice(0, -1);
    item.appendChild(el("h3", "section", s.section || s.title));
    if (s.section) item.appendChild(el("p", "where", [s.title].concat(parents).join(" \u203a ")));
    item.appendChild(el("p", "answer", s.answer));
    (s.commands || []).forEach(function (c) {
      var pre = el("pre", "cmd");
      pre.appendChild(el("code", null, c));
      pre.setAttribute("aria-label", t.commands);
      pre.tabIndex = 0;
      item.appendChild(pre);
    });
    var actions = el("div", "actions");
    var more = el("a", "more", t.readMore);
    if (/^https?:\/\//.test(s.url || "")) more.href = s.url;
    more.target = "_blank";
    more.rel = "noopener noreferrer";
    more.appendChild(el("span", "sr", " " + t.newTab));
    actions.appendChild(more);
    var solved = el("button", "solved", t.solved);
    solved.type = "button";
    solved.addEventListener("click", function () { deflect(s, item, solved); });
    actions.appendChild(solved);
    item.appendChild(actions);
    return item;
  }

  function deflect(s, item, button) {
    button.disabled = true;
    var done = el("p", "thanks", t.thanks);
    done.tabIndex = -1;
    button.replaceWith(done);
    item.classList.add("chosen");
    live.textContent = t.thanks;
    done.focus({ preventScroll: true });
    var body = JSON.stringify({
      kind: "deflection", helpful: true, question: panel.dataset.q || lastQuery,
      page: s.page || "", section: s.section || "", origin: location.origin
    });
    fetch(api + "/api/feedback", {
      method: "POST", mode: "cors", credentials: "omit", keepalive: true,
      headers: { "Content-Type": "application/json" }, body: body
    }).catch(function () { /* the ticket form matters more than the count */ });
  }

  var CSS = [
    ":host{all:initial;display:block;contain:content}",
    ".panel{--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--accent:#0b5cad;--code:#f3f5f7;--ok:#1a7f37;",
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);",
    "border:1px solid var(--line);border-left:3px solid var(--accent);border-radius:6px;margin:8px 0 12px;padding:10px 12px;max-width:100%;box-sizing:border-box}",
    ".panel.dark{--bg:#1c2128;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--accent:#4c9ced;--code:#262c36;--ok:#3fb950}",
    "@media (prefers-color-scheme:dark){.panel.auto{--bg:#1c2128;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--accent:#4c9ced;--code:#262c36;--ok:#3fb950}}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;align-items:center;justify-content:space-between;gap:8px}",
    ".title{font-size:12px;font-weight:600;letter-spacing:.02em;text-transform:uppercase;color:var(--muted);margin:0}",
    ".close{font:inherit;font-size:18px;line-height:1;background:none;border:0;color:var(--muted);cursor:pointer;padding:2px 6px;border-radius:4px}",
    ".list{list-style:none;margin:6px 0 0;padding:0}",
    ".card{padding:8px 0;border-top:1px solid var(--line)}",
    ".card:first-child{border-top:0}",
    ".section{font-size:14px;font-weight:600;margin:0}",
    ".where{font-size:12px;color:var(--muted);margin:1px 0 0}",
    ".answer{margin:4px 0}",
    ".cmd{margin:4px 0;padding:6px 8px;background:var(--code);border-radius:4px;overflow:auto;max-height:11.5em;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre}",
    ".actions{display:flex;flex-wrap:wrap;align-items:center;gap:6px 14px;margin-top:6px}",
    ".more{color:var(--accent);text-decoration:underline;text-underline-offset:2px}",
    ".solved{font:inherit;font-size:13px;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:3px 10px;cursor:pointer}",
    ".solved:hover{border-color:var(--accent)}",
    ".thanks{margin:0;color:var(--ok);font-size:13px}",
    "a:focus-visible,button:focus-visible,.cmd:focus-visible,.thanks:focus-visible{outline:2px solid var(--accent);outline-offset:2px}",
    ".sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}"
  ].join("");

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
