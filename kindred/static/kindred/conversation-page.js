/*
 * Kindred: the conversation page's enhancements (vanilla JS; the page works without it, every form posts and
 * the page reloads). conversation.js delivers the messages; this file:
 *
 *   - posts the composer in place (JSON back; the new message is fetched at once, the socket dedupes by id),
 *     keeping its client_id until the post went through, so a retry never makes a second message;
 *   - replies in place (the Reply link fills the composer's reply_to instead of reloading);
 *   - suggests members after an @ (GET data-mentions-url?q=), keyboard and pointer;
 *   - asks the server for the markup of an ask, an event card or a removed message that arrived live
 *     (data-fragment-url with the id, ?fragment=1), and swaps forms marked data-inplace (grab a red envelope,
 *     answer a meetup) for the card the server answers with;
 *   - moves the read marker (POST data-read-url) as messages are seen, and opens the page at the first unread.
 */
(function () {
  "use strict";

  var READ_DELAY_MS = 1200;
  var MENTION_DELAY_MS = 120;
  var MENTION_RE = /(^|[^A-Za-z0-9._%+\-])@([^\s@,，。.!！?？:：;；、()（）]{0,20})$/;

  function csrfToken() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function fragmentUrl(stream, id) {
    var base = stream.getAttribute("data-fragment-url") || "";
    return base.replace(/\/0\/$/, "/" + id + "/");
  }

  function parseItem(html) {
    var holder = document.createElement("ol");
    holder.innerHTML = html.trim();
    return holder.querySelector("li.msg");
  }

  function Page(stream) {
    this.stream = stream;
    this.me = parseInt(stream.getAttribute("data-me") || "0", 10);
    this.readUrl = stream.getAttribute("data-read-url");
    this.readId = parseInt(stream.getAttribute("data-read-id") || "0", 10) || 0;
    this.readTimer = null;
    this.composer = document.getElementById("composer");
  }

  Page.prototype.start = function () {
    var self = this;
    this.stream.addEventListener("kindred:message", function (event) {
      self.enhance(event.detail.message, event.detail.element);
      self.scheduleRead();
    });
    this.stream.addEventListener("submit", function (event) {
      var form = event.target;
      if (form && form.hasAttribute && form.hasAttribute("data-inplace")) {
        event.preventDefault();
        self.submitInPlace(form);
      }
    });
    this.stream.addEventListener("click", function (event) {
      var link = event.target && event.target.closest ? event.target.closest('a[data-action="reply"]') : null;
      if (link && self.composer) {
        var item = link.closest("li.msg");
        if (item) {
          event.preventDefault();
          self.replyTo(item);
        }
      }
    });
    if (this.composer) {
      this.composer.addEventListener("submit", function (event) {
        event.preventDefault();
        self.post(false);
      });
      var cancel = this.composer.querySelector('[data-action="cancel-reply"]');
      if (cancel) {
        cancel.addEventListener("click", function (event) {
          event.preventDefault();
          self.clearReply();
        });
      }
      this.mentions = new Mentions(this.composer.querySelector("textarea"), this.stream.getAttribute("data-mentions-url"));
    }
    document.addEventListener("visibilitychange", function () {
      self.scheduleRead();
    });
    var unread = document.getElementById("unread");
    if (unread && !window.location.hash) {
      unread.scrollIntoView({ block: "start" });
    } else if (!window.location.hash && this.stream.lastElementChild) {
      this.stream.lastElementChild.scrollIntoView({ block: "end" });
    }
    this.scheduleRead();
  };

  // --- messages that arrive live ------------------------------------------------------------------------

  Page.prototype.enhance = function (message, element) {
    var reply = element.querySelector('a[data-action="reply"]');
    var more = element.querySelector('a[data-action="more"]');
    var url = fragmentUrl(this.stream, message.id);
    if (more) {
      more.setAttribute("href", url);
    }
    var time = element.querySelector("a.msg-time");
    if (time) {
      time.setAttribute("href", url);
    }
    if (reply) {
      reply.setAttribute("href", "?reply=" + message.id + "#composer");
    }
    if (message.author && message.author.member_id === this.me) {
      element.classList.add("msg-mine");
    }
    if (message.kind !== "chat" || message.deleted || message.hidden) {
      this.refresh(message.id);
    }
  };

  Page.prototype.refresh = function (id) {
    var self = this;
    return window
      .fetch(fragmentUrl(this.stream, id) + "?fragment=1", { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html) {
          self.swap(id, html);
        }
      })
      .catch(function () {
        return null; // offline: the card keeps its plain form until the next update
      });
  };

  Page.prototype.swap = function (id, html) {
    var fresh = parseItem(html);
    var current = this.stream.querySelector('[data-id="' + id + '"]');
    if (fresh && current) {
      current.parentNode.replaceChild(fresh, current);
    }
  };

  Page.prototype.submitInPlace = function (form) {
    var self = this;
    var item = form.closest("li.msg");
    var id = item ? item.getAttribute("data-id") : null;
    var button = form.querySelector('button[type="submit"]');
    if (button) {
      button.disabled = true;
    }
    window
      .fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Kindred-Fragment": "1" },
        body: new FormData(form),
      })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        if (id) {
          self.swap(id, html);
        }
      })
      .catch(function () {
        if (button) {
          button.disabled = false;
        }
      });
  };

  // --- the composer -------------------------------------------------------------------------------------

  Page.prototype.replyTo = function (item) {
    var hidden = this.composer.querySelector('input[name="reply_to"]');
    if (!hidden) {
      return;
    }
    hidden.value = item.getAttribute("data-id");
    var banner = this.composer.querySelector(".replying");
    if (!banner) {
      banner = document.createElement("p");
      banner.className = "replying";
      this.composer.insertBefore(banner, this.composer.firstChild.nextSibling);
    }
    var author = item.querySelector(".msg-author");
    var text = item.querySelector(".msg-text");
    banner.textContent = "↩ " + (author ? author.textContent : "") + (text ? "：" + text.textContent.trim().slice(0, 60) : "");
    var self = this;
    var cancel = document.createElement("a");
    cancel.href = "#composer";
    cancel.textContent = " ✕";
    cancel.setAttribute("aria-label", this.composer.getAttribute("data-cancel-label") || "Cancel");
    cancel.addEventListener("click", function (event) {
      event.preventDefault();
      self.clearReply();
    });
    banner.appendChild(cancel);
    this.composer.querySelector("textarea").focus();
  };

  Page.prototype.clearReply = function () {
    var hidden = this.composer.querySelector('input[name="reply_to"]');
    if (hidden) {
      hidden.value = "";
    }
    var banner = this.composer.querySelector(".replying");
    if (banner) {
      banner.parentNode.removeChild(banner);
    }
  };

  Page.prototype.showErrors = function (errors) {
    var list = this.composer.querySelector("ul.errorlist.composer-errors");
    if (!list) {
      list = document.createElement("ul");
      list.className = "errorlist composer-errors";
      list.setAttribute("role", "alert");
      var textarea = this.composer.querySelector("textarea");
      textarea.parentNode.parentNode.insertBefore(list, textarea.parentNode);
    }
    list.textContent = "";
    errors.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      list.appendChild(li);
    });
    list.hidden = errors.length === 0;
  };

  Page.prototype.post = function (confirmed) {
    var self = this;
    var form = this.composer;
    var textarea = form.querySelector("textarea");
    var button = form.querySelector('button[type="submit"]');
    if (!textarea.value.trim()) {
      textarea.focus();
      return;
    }
    button.disabled = true;
    var data = new FormData(form);
    if (confirmed) {
      data.set("confirm_off_topic", "on");
    }
    window
      .fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        body: data,
      })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        button.disabled = false;
        var errors = (result.body && result.body.errors) || [];
        if (!result.ok && result.body && result.body.code === "off_topic" && !confirmed) {
          // The circle's topic guard held it back: the poster alone is asked, and may post it anyway.
          if (window.confirm(errors.join(" "))) {
            self.post(true);
          }
          return;
        }
        if (!result.ok) {
          self.showErrors(errors);
          return;
        }
        self.showErrors([]);
        textarea.value = "";
        var ask = form.querySelector('input[name="is_ask"]');
        if (ask) {
          ask.checked = false;
        }
        form.querySelector('input[name="client_id"]').value = newClientId();
        self.clearReply();
        var live = self.stream.kindredConversation;
        if (live && live.poll) {
          live.poll(0); // show it now; the socket's copy of it replaces this one, never adds a second
        }
      })
      .catch(function () {
        button.disabled = false; // offline: the text and its client_id stay, so sending again is safe
        self.showErrors([form.getAttribute("data-offline-label") || "Offline"]);
      });
  };

  // --- the read marker ----------------------------------------------------------------------------------

  Page.prototype.scheduleRead = function () {
    var self = this;
    if (!this.readUrl) {
      return;
    }
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(function () {
      self.markRead();
    }, READ_DELAY_MS);
  };

  Page.prototype.markRead = function () {
    var self = this;
    if (document.visibilityState === "hidden" || navigator.onLine === false) {
      return;
    }
    var last = parseInt(this.stream.getAttribute("data-last-id") || "0", 10) || 0;
    if (last <= this.readId) {
      return;
    }
    this.readId = last;
    window
      .fetch(this.readUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ last_read_id: last }),
      })
      .catch(function () {
        self.readId = 0; // try again with the next message
      });
  };

  // --- @mentions ----------------------------------------------------------------------------------------

  function Mentions(textarea, url) {
    this.textarea = textarea;
    this.url = url;
    this.list = document.getElementById("mention-list");
    this.items = [];
    this.active = -1;
    this.timer = null;
    if (!textarea || !url || !this.list) {
      return;
    }
    var self = this;
    textarea.setAttribute("aria-controls", "mention-list");
    textarea.addEventListener("input", function () {
      clearTimeout(self.timer);
      self.timer = setTimeout(function () {
        self.lookup();
      }, MENTION_DELAY_MS);
    });
    textarea.addEventListener("keydown", function (event) {
      self.key(event);
    });
    textarea.addEventListener("blur", function () {
      setTimeout(function () {
        self.hide();
      }, 150);
    });
    this.list.addEventListener("mousedown", function (event) {
      var li = event.target.closest("li");
      if (li) {
        event.preventDefault();
        self.choose(parseInt(li.getAttribute("data-index"), 10));
      }
    });
  }

  Mentions.prototype.word = function () {
    var before = this.textarea.value.slice(0, this.textarea.selectionStart);
    var match = MENTION_RE.exec(before);
    return match ? match[2] : null;
  };

  Mentions.prototype.lookup = function () {
    var self = this;
    var word = this.word();
    if (word === null) {
      this.hide();
      return;
    }
    window
      .fetch(this.url + "?q=" + encodeURIComponent(word), { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : { items: [] };
      })
      .then(function (body) {
        self.show(body.items || []);
      })
      .catch(function () {
        self.hide();
      });
  };

  Mentions.prototype.show = function (items) {
    this.items = items;
    this.list.textContent = "";
    if (!items.length) {
      this.hide();
      return;
    }
    for (var i = 0; i < items.length; i++) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("data-index", String(i));
      li.id = "mention-" + i;
      li.textContent = items[i].display_name;
      this.list.appendChild(li);
    }
    this.list.hidden = false;
    this.textarea.setAttribute("aria-expanded", "true");
    this.select(0);
  };

  Mentions.prototype.hide = function () {
    this.list.hidden = true;
    this.items = [];
    this.active = -1;
    this.textarea.setAttribute("aria-expanded", "false");
    this.textarea.removeAttribute("aria-activedescendant");
  };

  Mentions.prototype.select = function (index) {
    var options = this.list.querySelectorAll("li");
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    this.active = index;
    this.textarea.setAttribute("aria-activedescendant", "mention-" + index);
  };

  Mentions.prototype.key = function (event) {
    if (this.list.hidden || !this.items.length) {
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      this.select((this.active + step + this.items.length) % this.items.length);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      this.choose(this.active);
    } else if (event.key === "Escape") {
      this.hide();
    }
  };

  Mentions.prototype.choose = function (index) {
    var item = this.items[index];
    if (!item) {
      return;
    }
    var value = this.textarea.value;
    var caret = this.textarea.selectionStart;
    var before = value.slice(0, caret);
    var at = before.lastIndexOf("@");
    var insert = "@" + item.display_name + " ";
    this.textarea.value = value.slice(0, at) + insert + value.slice(caret);
    var pos = at + insert.length;
    this.textarea.setSelectionRange(pos, pos);
    this.hide();
    this.textarea.focus();
  };

  function boot() {
    var stream = document.getElementById("stream");
    if (stream && !stream.kindredPage) {
      stream.kindredPage = new Page(stream);
      stream.kindredPage.start();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
})();
