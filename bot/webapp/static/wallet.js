// The wallet page. Its only credential is Telegram's init data, read from
// window.Telegram.WebApp when a Telegram script provided it, else from the URL's fragment
// (#tgWebAppData=..., how Telegram's clients open a Mini App). Nothing is loaded from
// Telegram's servers or any other. Every text comes from the catalogue embedded in the page; values are put
// in with textContent, never as markup.
"use strict";
(function () {
  var ALL_TEXTS = JSON.parse(document.getElementById("texts").textContent);
  var launch = new URLSearchParams(location.hash.slice(1));
  var webApp = (window.Telegram && window.Telegram.WebApp) || null;
  var initData = (webApp && webApp.initData) || launch.get("tgWebAppData") || "";
  var lang = "en";
  var state = { filter: "all", q: "", offset: 0 };
  var sendKey = null, sendKeyFor = "", payKeys = {};

  function initUserLanguage() {
    try {
      var user = JSON.parse(new URLSearchParams(initData).get("user") || "{}");
      return (user.language_code || "").slice(0, 2) === "fr" ? "fr" : "en";
    } catch (e) { return "en"; }
  }
  function T(key, values) {
    var text = (ALL_TEXTS[lang] || ALL_TEXTS.en)[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (node) {
      node.textContent = T(node.getAttribute("data-t"));
    });
    document.querySelectorAll("[data-t-placeholder]").forEach(function (node) {
      node.placeholder = T(node.getAttribute("data-t-placeholder"));
    });
  }
  function applyTheme() {
    var params = (webApp && webApp.themeParams) || null;
    if (!params && launch.get("tgWebAppThemeParams")) {
      try { params = JSON.parse(launch.get("tgWebAppThemeParams")); } catch (e) { params = null; }
    }
    Object.keys(params || {}).forEach(function (name) {
      if (/^[a-z_]+$/.test(name) && /^#[0-9a-fA-F]{3,8}$/.test(params[name])) {
        document.documentElement.style.setProperty("--tg-" + name.replace(/_/g, "-"), params[name]);
      }
    });
  }
  function tellTelegram(eventType) {  // what telegram-web-app.js would post: ready, expand
    try {
      if (window.TelegramWebviewProxy) window.TelegramWebviewProxy.postEvent(eventType, "");
      else if (window.external && window.external.notify) window.external.notify(JSON.stringify({ eventType: eventType }));
      else if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType: eventType, eventData: "" }), "*");
    } catch (e) { /* not inside Telegram */ }
  }
  function api(method, path, body) {
    var options = { method: method, headers: { Authorization: "tma " + initData }, credentials: "omit" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var read = type.indexOf("json") >= 0 ? response.json() : response.text();
      return read.then(function (data) {
        if (!response.ok) {
          var error = new Error((data && data.message) || T("page.failed"));
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }
  function fail(where) {
    return function (error) {
      if (error.status === 401) return stop(T("page.session_over"));
      where.textContent = error.message;
      where.hidden = false;
    };
  }
  function stop(message) {
    $("app").hidden = true;
    $("gate").textContent = message;
    $("gate").hidden = false;
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function loadWallet() {
    return api("GET", "/api/wallet").then(function (wallet) {
      lang = wallet.language;
      translate();
      $("available").textContent = wallet.available_text;
      $("available").setAttribute("data-minor", wallet.available);
      $("held").textContent = wallet.held_text;
      $("held").setAttribute("data-minor", wallet.held);
      $("who").textContent = wallet.name;
    });
  }
  function loadChart() {
    return api("GET", "/api/chart").then(function (svg) {
      var doc = new DOMParser().parseFromString(svg, "image/svg+xml");
      var chart = doc.documentElement;
      if (chart.nodeName.toLowerCase() !== "svg") return;
      $("chart").replaceChildren(document.importNode(chart, true));
    });
  }
  function loadHistory() {
    var query = "?filter=" + encodeURIComponent(state.filter) + "&q=" + encodeURIComponent(state.q) + "&offset=" + state.offset;
    return api("GET", "/api/history" + query).then(function (page) {
      var list = $("history");
      list.replaceChildren();
      page.items.forEach(function (item) {
        var row = el("li", "item");
        row.setAttribute("data-ref", item.ref);
        var what = el("div", "what");
        what.appendChild(el("div", "", item.counterpart + (item.memo ? " — " + item.memo : "")));
        what.appendChild(el("div", "small", item.date + (item.state_text ? " · " + item.state_text : "") + " · " + item.ref));
        var sum = el("div", "sum " + item.direction, (item.direction === "in" ? "+" : "−") + item.amount.text);
        row.appendChild(what);
        row.appendChild(sum);
        list.appendChild(row);
      });
      $("history-empty").hidden = page.items.length > 0;
      $("newer").hidden = state.offset === 0;
      $("older").hidden = !page.has_more;
    });
  }
  function loadRequests() {
    return api("GET", "/api/requests").then(function (data) {
      var list = $("requests");
      list.replaceChildren();
      data.requests.forEach(function (asked) {
        var row = el("li", "item");
        row.setAttribute("data-ref", asked.ref);
        var what = el("div", "what");
        what.appendChild(el("div", "", asked.text + (asked.memo ? " — " + asked.memo : "")));
        what.appendChild(el("div", "small", asked.date));
        var buttons = el("div", "row");
        var payButton = el("button", "primary", T("page.pay"));
        payButton.addEventListener("click", function () {
          var key = payKeys[asked.ref] = payKeys[asked.ref] || newKey();  // kept until paid
          confirmStep(asked.confirm, function () {
            return api("POST", "/api/requests/" + asked.ref + "/pay", { key: key });
          });
        });
        var declineButton = el("button", "secondary danger", T("page.decline"));
        declineButton.addEventListener("click", function () {
          api("POST", "/api/requests/" + asked.ref + "/decline", {}).then(function (done) {
            notice(done.message);
            refresh();
          }, fail($("requests-error")));
        });
        buttons.appendChild(payButton);
        buttons.appendChild(declineButton);
        row.appendChild(what);
        row.appendChild(buttons);
        list.appendChild(row);
      });
      $("requests-empty").hidden = data.requests.length > 0;
    });
  }
  function loadPeople() {
    return api("GET", "/api/people").then(function (data) {
      var box = $("people");
      box.replaceChildren();
      data.people.forEach(function (person) {
        if (!person.username) return;
        var button = el("button", "", person.name);
        button.type = "button";
        button.addEventListener("click", function () { $("to").value = "@" + person.username; });
        box.appendChild(button);
      });
    });
  }
  function notice(text) {
    $("notice").textContent = text;
    $("notice").hidden = false;
  }
  function refresh() {
    return Promise.all([loadWallet(), loadChart(), loadHistory(), loadRequests(), loadPeople()]);
  }

  // The confirm step: the page's own (no Telegram script is loaded to offer showConfirm).
  var pending = null;
  function confirmStep(question, action) {
    pending = action;
    $("confirm-question").textContent = question;
    $("confirm").hidden = false;
    $("confirm-yes").disabled = false;
    $("confirm-yes").focus();
  }
  function closeConfirm() {
    pending = null;
    $("confirm").hidden = true;
  }

  function wire() {
    document.querySelectorAll(".filters button").forEach(function (button) {
      button.addEventListener("click", function () {
        state.filter = button.getAttribute("data-filter");
        state.offset = 0;
        document.querySelectorAll(".filters button").forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
        });
        loadHistory().catch(fail($("history-error")));
      });
    });
    var searchTimer = null;
    $("search").addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () {
        state.q = $("search").value;
        state.offset = 0;
        loadHistory().catch(fail($("history-error")));
      }, 250);
    });
    $("older").addEventListener("click", function () { state.offset += 10; loadHistory(); });
    $("newer").addEventListener("click", function () { state.offset = Math.max(0, state.offset - 10); loadHistory(); });
    $("send-form").addEventListener("submit", function (event) {
      event.preventDefault();
      $("send-error").hidden = true;
      var form = { to: $("to").value, amount: $("amount").value, note: $("note").value };
      api("POST", "/api/send/preview", form).then(function (preview) {
        // One key per payment: a double submit, or a retry after an answer that never came,
        // pays once. Only a success (or a changed form) makes the next submit a new payment.
        var signature = JSON.stringify(form);
        if (signature !== sendKeyFor) { sendKey = newKey(); sendKeyFor = signature; }
        form.key = sendKey;
        confirmStep(preview.confirm, function () {
          return api("POST", "/api/send", form).then(function (done) { sendKeyFor = ""; return done; });
        });
      }, fail($("send-error")));
    });
    $("confirm-yes").addEventListener("click", function () {
      if (!pending) return;
      var action = pending;
      $("confirm-yes").disabled = true;
      action().then(function (done) {
        closeConfirm();
        $("send-form").reset();
        notice(done.message);
        refresh();
      }, function (error) {
        closeConfirm();
        fail($("send-error"))(error);
      });
    });
    $("confirm-no").addEventListener("click", closeConfirm);
  }

  lang = initUserLanguage();
  applyTheme();
  translate();
  if (!initData) { stop(T("page.open_in_telegram")); return; }
  wire();
  tellTelegram("web_app_ready");
  tellTelegram("web_app_expand");
  refresh().then(function () { document.body.setAttribute("data-ready", "1"); }, function (error) {
    if (error.status === 401 || error.status === 403) stop(error.status === 401 ? T("page.session_over") : error.message);
    else notice(error.message);
  });
})();
