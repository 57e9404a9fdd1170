/*
 * Kindred: the circle's live conversation in the browser (vanilla JS, no framework, nothing fetched from
 * outside the site).
 *
 * The page's contract:
 *
 *   <ol id="stream"
 *       data-ws-url="/ws/circles/SLUG/"                       WebSocket path (same host; ws: or wss: by page)
 *       data-poll-url="/api/v1/circles/SLUG/messages"         the messages API, polled with ?after=ID
 *       data-last-id="1234">                                  the last message id rendered by the server
 *     <li class="msg" id="m1233" data-id="1233">…</li>          server-rendered messages, oldest first
 *   </ol>
 *   <template id="stream-message">…</template>                optional: the markup of one message (below)
 *
 * Messages arrive as JSON (the API's message shape) and are rendered here, client side: every message is an
 * element with `data-id`; a message whose element exists is replaced in place (edit, delete, hide, an ask's
 * status), any other is appended. The markup is the page's `<template id="stream-message">` when it has one:
 * elements marked `data-slot="author|time|text|quote|ask"` get the message's parts as text (never as HTML),
 * and the root gets the classes `msg msg-KIND`. Without the template, a plain <li> of the same parts.
 * After each render `#stream` fires `kindred:message` (detail: {message, element}) for the page to enhance.
 *
 * Delivery: the socket is opened with `?after=<last id seen>`; the server sends every later message, then live
 * ones, each once and in order. The last id is kept; when the socket closes, it reconnects with backoff
 * (1 s doubling to 30 s, with jitter) and resumes from it. While the socket is down (or WebSockets fail
 * altogether) it polls `GET data-poll-url?after=ID` every few seconds, and stops polling once the socket is
 * back. A ping every 25 s; no frame for 60 s means a dead socket: close and reconnect. A close with 4403 (no
 * longer a member) or a 403/404 from the API stops everything and says so.
 */
(function () {
  "use strict";

  var BACKOFF_START_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var POLL_MS = 4000;
  var POLL_LIMIT = 100;
  var POLL_PAGES_MAX = 20;
  var PING_MS = 25000;
  var SILENCE_MS = 60000;
  var CLOSE_NOT_MEMBER = 4403;
  var NEAR_BOTTOM_PX = 120;
  var URL_RE = /https?:\/\/[^\s<>"'）】，。]+/g;

  function Conversation(stream) {
    this.stream = stream;
    this.wsPath = stream.getAttribute("data-ws-url");
    this.pollUrl = stream.getAttribute("data-poll-url");
    this.lastId = parseInt(stream.getAttribute("data-last-id") || "0", 10) || 0;
    this.template = document.getElementById("stream-message");
    this.socket = null;
    this.backoff = BACKOFF_START_MS;
    this.reconnectTimer = null;
    this.pollTimer = null;
    this.pingTimer = null;
    this.lastFrameAt = 0;
    this.polling = false;
    this.stopped = false;
  }

  Conversation.prototype.start = function () {
    var self = this;
    if (this.wsPath && "WebSocket" in window) {
      this.connect();
    } else {
      this.startPolling();
    }
    window.addEventListener("online", function () {
      if (!self.stopped && !self.socket && self.wsPath) {
        self.backoff = BACKOFF_START_MS;
        self.connect();
      }
    });
  };

  Conversation.prototype.setStatus = function (state) {
    this.stream.setAttribute("data-live", state);
  };

  Conversation.prototype.stop = function (reason) {
    this.stopped = true;
    this.stopPolling();
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    this.setStatus(reason || "stopped");
  };

  // --- WebSocket --------------------------------------------------------------------------------------

  Conversation.prototype.connect = function () {
    var self = this;
    clearTimeout(this.reconnectTimer);
    if (this.stopped || this.socket) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + this.wsPath + "?after=" + encodeURIComponent(this.lastId);
    var socket;
    try {
      socket = new WebSocket(url);
    } catch (err) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.setStatus("connecting");
    socket.onopen = function () {
      self.backoff = BACKOFF_START_MS;
      self.lastFrameAt = Date.now();
      self.stopPolling();
      self.setStatus("live");
      clearInterval(self.pingTimer);
      self.pingTimer = setInterval(function () {
        self.heartbeat();
      }, PING_MS);
    };
    socket.onmessage = function (event) {
      self.lastFrameAt = Date.now();
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      self.handleFrame(frame);
    };
    socket.onerror = function () {
      /* onclose follows and decides */
    };
    socket.onclose = function (event) {
      clearInterval(self.pingTimer);
      self.socket = null;
      if (event.code === CLOSE_NOT_MEMBER) {
        self.stop("removed");
        return;
      }
      self.setStatus("offline");
      self.startPolling();
      self.scheduleReconnect();
    };
  };

  Conversation.prototype.heartbeat = function () {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return;
    }
    if (Date.now() - this.lastFrameAt > SILENCE_MS) {
      this.socket.close(); // dead: onclose reconnects
      return;
    }
    this.socket.send(JSON.stringify({ type: "ping" }));
  };

  Conversation.prototype.scheduleReconnect = function () {
    var self = this;
    if (this.stopped || navigator.onLine === false) {
      return; // offline: the "online" event reconnects
    }
    var delay = this.backoff * (0.75 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(function () {
      self.connect();
    }, delay);
  };

  Conversation.prototype.handleFrame = function (frame) {
    if (!frame || typeof frame !== "object") {
      return;
    }
    if (frame.type === "message" || frame.type === "message_updated") {
      if (frame.message && typeof frame.message.id === "number") {
        this.render(frame.message);
      }
    }
  };

  // --- polling (no WebSocket) -------------------------------------------------------------------------

  Conversation.prototype.startPolling = function () {
    var self = this;
    if (this.polling || this.stopped || !this.pollUrl) {
      return;
    }
    this.polling = true;
    var tick = function () {
      var due = navigator.onLine === false ? Promise.resolve(null) : self.poll(0); // offline: wait
      due.then(function () {
        if (self.polling) {
          self.pollTimer = setTimeout(tick, POLL_MS);
        }
      });
    };
    this.pollTimer = setTimeout(tick, POLL_MS);
  };

  Conversation.prototype.stopPolling = function () {
    this.polling = false;
    clearTimeout(this.pollTimer);
  };

  Conversation.prototype.poll = function (page) {
    var self = this;
    var sep = this.pollUrl.indexOf("?") === -1 ? "?" : "&";
    var url = this.pollUrl + sep + "after=" + encodeURIComponent(this.lastId) + "&limit=" + POLL_LIMIT;
    return window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 403 || response.status === 404 || response.status === 401) {
          self.stop("removed");
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        var items = body && Array.isArray(body.items) ? body.items : [];
        for (var i = 0; i < items.length; i++) {
          self.render(items[i]);
        }
        if (items.length === POLL_LIMIT && page + 1 < POLL_PAGES_MAX && self.polling) {
          return self.poll(page + 1);
        }
        return null;
      })
      .catch(function () {
        return null; // offline: the next tick tries again
      });
  };

  // --- rendering --------------------------------------------------------------------------------------

  Conversation.prototype.nearBottom = function () {
    var scroller = document.scrollingElement || document.documentElement;
    return scroller.scrollHeight - scroller.scrollTop - window.innerHeight < NEAR_BOTTOM_PX;
  };

  Conversation.prototype.render = function (message) {
    var id = message.id;
    var existing = this.stream.querySelector('[data-id="' + id + '"]');
    var element = this.build(message);
    var follow = this.nearBottom();
    if (existing) {
      existing.parentNode.replaceChild(element, existing);
    } else if (id > this.lastId) {
      this.stream.appendChild(element);
    } else {
      return; // an older message this page never showed: not ours to insert
    }
    if (id > this.lastId) {
      this.lastId = id;
      this.stream.setAttribute("data-last-id", String(id));
    }
    if (!existing && follow && element.scrollIntoView) {
      element.scrollIntoView({ block: "end" });
    }
    this.stream.dispatchEvent(
      new CustomEvent("kindred:message", { bubbles: true, detail: { message: message, element: element } })
    );
  };

  Conversation.prototype.build = function (message) {
    var root;
    if (this.template && this.template.content && this.template.content.firstElementChild) {
      root = this.template.content.firstElementChild.cloneNode(true);
    } else {
      root = document.createElement("li");
      ["author", "time", "quote", "text", "ask"].forEach(function (slot) {
        var part = document.createElement(slot === "text" ? "div" : "span");
        part.setAttribute("data-slot", slot);
        part.className = "msg-" + slot;
        root.appendChild(part);
      });
    }
    root.classList.add("msg", "msg-" + String(message.kind || "chat"));
    root.id = "m" + message.id;
    root.setAttribute("data-id", String(message.id));
    var author = message.author || {};
    fill(root, "author", author.display_name || "");
    fill(root, "time", formatTime(message.created_at));
    var removed = message.deleted || message.hidden;
    if (removed) {
      root.classList.add("msg-removed");
    }
    var text = root.querySelector('[data-slot="text"]');
    if (text) {
      text.textContent = "";
      appendLinked(text, String(message.text || ""));
    }
    var reply = message.reply_to && typeof message.reply_to === "object" ? message.reply_to : null;
    var replyAuthor = reply && reply.author ? reply.author.display_name || "" : "";
    fill(root, "quote", reply ? replyAuthor + (reply.quote ? "：" + reply.quote : "") : "");
    if (reply) {
      root.setAttribute("data-reply-to", String(reply.id));
    }
    var ask = message.ask;
    fill(root, "ask", ask && ask.status ? String(ask.status) : "");
    if (ask && ask.status) {
      root.setAttribute("data-ask-status", String(ask.status));
    }
    return root;
  };

  function fill(root, slot, value) {
    var part = root.querySelector('[data-slot="' + slot + '"]');
    if (part) {
      part.textContent = value;
      part.hidden = value === "";
    }
  }

  function appendLinked(parent, text) {
    var last = 0;
    text.replace(URL_RE, function (url, offset) {
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      link.rel = "noopener noreferrer nofollow";
      link.target = "_blank";
      parent.appendChild(link);
      last = offset + url.length;
      return url;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatTime(value) {
    if (!value) {
      return "";
    }
    var date = new Date(value);
    if (isNaN(date.getTime())) {
      return "";
    }
    try {
      return date.toLocaleString(document.documentElement.lang || undefined, {
        month: "numeric",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
      });
    } catch (err) {
      return date.toISOString();
    }
  }

  function boot() {
    var stream = document.getElementById("stream");
    if (stream && !stream.kindredConversation && (stream.getAttribute("data-ws-url") || stream.getAttribute("data-poll-url"))) {
      stream.kindredConversation = new Conversation(stream);
      stream.kindredConversation.start();
    }
  }

  window.KindredConversation = { start: boot, Conversation: Conversation };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
