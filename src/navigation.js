// Every page is complete HTML from the server, and every form works by posting and redirecting back.
// With JavaScript, this script fetches the page a link, a search form or a posted form leads to and
// patches it into the one on screen instead of loading it whole: scroll position, focus and the
// state of islands survive, and the address bar and history stay as a full load would leave them.
// It also lets files be dropped on an upload form.
(() => {
  if (!window.fetch || !window.DOMParser || !("scrollRestoration" in history)) return;
  history.scrollRestoration = "manual";
  let latest = 0;
  // The page on screen, to tell a new one from a jump within it (a link to "#main").
  let shown = location.pathname + location.search;
  // The form whose answer is being patched in: its fields take the answer's values, even focused.
  let submitted = null;

  // Anything that is not one of the shop's pages (files, feeds, server functions) loads normally.
  const isPage = (url) =>
    url.origin === location.origin &&
    !/^\/(api|pkg|media)\//.test(url.pathname) &&
    !/\.[a-z0-9]+$/i.test(url.pathname);

  // Every history entry knows its scroll position, for back, forward and reload.
  const rememberScroll = () =>
    history.replaceState({ ...history.state, scroll: [scrollX, scrollY] }, "");
  let scrollTimer = 0;
  addEventListener("scroll", () => {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(rememberScroll, 200);
  }, { passive: true });
  addEventListener("pagehide", rememberScroll);
  addEventListener("DOMContentLoaded", () => {
    if (history.state?.scroll) scrollTo(history.state.scroll[0], history.state.scroll[1]);
  });

  addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target instanceof Element && event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href);
    if (!isPage(url)) return;
    // A jump within the page, such as "Skip to content", is the browser's.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    event.preventDefault();
    visit(url, { method: "GET" }, { push: true });
  });

  // An upload form takes files dropped anywhere on it as if chosen in its file input, and sends them
  // as the browser sends any file upload (a whole-page post, left alone below).
  addEventListener("dragover", (event) => {
    if (event.target instanceof Element && event.target.closest("form[data-drop-files]")) event.preventDefault();
  });
  addEventListener("drop", (event) => {
    const form = event.target instanceof Element && event.target.closest("form[data-drop-files]");
    const input = form && form.querySelector("input[type=file]");
    if (!input || !event.dataTransfer?.files.length) return;
    event.preventDefault();
    input.files = event.dataTransfer.files;
    form.requestSubmit();
  });

  addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    const form = event.target;
    const submitter = event.submitter;
    // Read as attributes: a field named "action" or "method" shadows the form's own properties.
    const attribute = (name) => submitter?.getAttribute(`form${name}`) || form.getAttribute(name);
    const method = (attribute("method") || "get").toUpperCase();
    const action = new URL(attribute("action") || location.href, location.href);
    if (attribute("target") || action.origin !== location.origin) return;
    if (method === "POST" && attribute("enctype") === "multipart/form-data") return;
    event.preventDefault();
    // One submission at a time per form: a second press would post twice.
    if (form.getAttribute("aria-busy") === "true") return;
    const fields = new URLSearchParams();
    for (const [name, value] of new FormData(form, submitter)) {
      if (typeof value === "string") fields.append(name, value);
    }
    if (method === "GET") {
      action.search = fields.toString();
      visit(action, { method: "GET" }, { push: true, form });
    } else {
      visit(action, { method: "POST", body: fields }, { push: true, form });
    }
  });

  addEventListener("popstate", (event) => {
    if (location.pathname + location.search === shown) return;
    visit(new URL(location.href), { method: "GET" }, { scroll: event.state?.scroll });
  });

  // push: a new history entry when the address changes; form: the form submitted, which keeps the
  // scroll position when it comes back to its own page; scroll: the position to restore (history).
  async function visit(url, init, { push = false, form, scroll } = {}) {
    const visitId = ++latest;
    if (push) rememberScroll();
    form?.setAttribute("aria-busy", "true");
    document.documentElement.setAttribute("aria-busy", "true");
    let response, html;
    try {
      response = await fetch(url, { ...init, headers: { Accept: "text/html" }, credentials: "same-origin" });
      html = (response.headers.get("content-type") || "").includes("text/html") ? await response.text() : null;
    } catch {
      html = null;
    } finally {
      form?.removeAttribute("aria-busy");
      if (visitId === latest) document.documentElement.removeAttribute("aria-busy");
    }
    if (visitId !== latest) return;
    if (html === null) {
      // Not a page to patch in, or no answer: the browser loads it the plain way. A post is never
      // sent again (it may have been carried out); the page it came from is loaded afresh instead.
      if (init.method !== "GET") location.reload();
      else if (push) location.assign(url);
      else location.replace(url);
      return;
    }

    const arrived = new URL(response.url);
    arrived.hash = url.hash;
    const page = new DOMParser().parseFromString(html, "text/html");
    // A page that runs scripts of its own (the card step's Stripe.js) is loaded whole; what it
    // answered to a post was a redirect, so loading its address again sends nothing twice.
    if (page.querySelector('meta[name="navigation"][content="full-load"]')) {
      if (push) location.assign(arrived);
      else location.replace(arrived);
      return;
    }
    const samePage = arrived.pathname === location.pathname;
    if (push && arrived.href !== location.href) {
      history.pushState({}, "", arrived);
    } else if (arrived.href !== location.href) {
      history.replaceState(history.state, "", arrived);
    }

    shown = arrived.pathname + arrived.search;

    document.title = page.title;
    patchHead(page.head);
    submitted = form ?? null;
    morphChildren(document.body, page.body);
    submitted = null;

    if (scroll) {
      scrollTo(scroll[0], scroll[1]);
    } else if (arrived.hash) {
      let id = arrived.hash.slice(1);
      try {
        id = decodeURIComponent(id);
      } catch {}
      document.getElementById(id)?.scrollIntoView();
    } else if (!(form && samePage)) {
      scrollTo(0, 0);
    }
    // A new page gets the focus where a full load would put it: at its start, with the main content
    // next for keyboard and screen-reader users. A form that came back keeps its focus.
    if (!samePage || (!form && !scroll)) {
      document.getElementById("main")?.focus({ preventScroll: true });
    }
    hydrateNewIslands();
    scheduleRefresh();
    dispatchEvent(new Event("shop:navigated"));
  }

  // A page waiting for news (a payment being confirmed) names how often to fetch it again; each
  // answer is patched in like any other, so the page changes without reloading.
  let refreshTimer = 0;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    const meta = document.head.querySelector('meta[name="refresh-in-place"]');
    if (!meta) return;
    const here = location.href;
    refreshTimer = setTimeout(() => {
      if (location.href !== here) return;
      if (document.visibilityState === "hidden") scheduleRefresh();
      else visit(new URL(here), { method: "GET" }, { scroll: [scrollX, scrollY] });
    }, (Number(meta.content) || 2) * 1000);
  }
  addEventListener("DOMContentLoaded", scheduleRefresh);

  // The head's elements are matched whole: unchanged ones (the stylesheet) stay, others are
  // swapped. Scripts that ran stay; new ones would not run, apart from data such as JSON-LD.
  function patchHead(head) {
    const isData = (el) => el.tagName !== "SCRIPT" || el.type === "application/ld+json";
    const current = new Map();
    for (const el of document.head.children) current.set(el.outerHTML, el);
    const kept = new Set();
    for (const el of [...head.children]) {
      const same = current.get(el.outerHTML);
      if (same) kept.add(same);
      else if (isData(el)) kept.add(document.head.appendChild(el));
    }
    for (const el of [...document.head.children]) {
      if (!kept.has(el) && isData(el)) el.remove();
    }
  }

  // Two nodes are the same thing on both pages if they are the same kind of element with the same
  // id; an island is the same only if the server handed it the same props.
  function matches(a, b) {
    if (a.nodeType !== b.nodeType) return false;
    if (a.nodeType !== Node.ELEMENT_NODE) return true;
    if (a.tagName !== b.tagName || a.id !== b.id) return false;
    if (a.tagName === "LEPTOS-ISLAND") {
      return a.dataset.component === b.dataset.component && a.dataset.props === b.dataset.props;
    }
    return true;
  }

  const insertedIslands = [];

  function adopt(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return node;
    if (node.tagName === "LEPTOS-ISLAND") insertedIslands.push(node);
    insertedIslands.push(...node.querySelectorAll("leptos-island"));
    return node;
  }

  function morphChildren(from, to) {
    let old = from.firstChild;
    let incoming = to.firstChild;
    while (incoming) {
      const nextIncoming = incoming.nextSibling;
      if (old && !matches(old, incoming)) {
        // One node removed or one added keeps the rest in step, so they keep their identity.
        if (old.nextSibling && matches(old.nextSibling, incoming)) {
          const gone = old;
          old = old.nextSibling;
          gone.remove();
        } else if (nextIncoming && matches(old, nextIncoming)) {
          from.insertBefore(adopt(incoming), old);
          incoming = nextIncoming;
          continue;
        }
      }
      if (!old) {
        from.appendChild(adopt(incoming));
      } else if (matches(old, incoming)) {
        morph(old, incoming);
        old = old.nextSibling;
      } else {
        const next = old.nextSibling;
        from.replaceChild(adopt(incoming), old);
        old = next;
      }
      incoming = nextIncoming;
    }
    while (old) {
      const next = old.nextSibling;
      old.remove();
      old = next;
    }
  }

  function morph(from, to) {
    if (from.nodeType !== Node.ELEMENT_NODE) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    // An island with the same props keeps its DOM: it belongs to its WASM now.
    if (from.tagName === "LEPTOS-ISLAND") return;
    for (const { name, value } of [...to.attributes]) {
      if (from.getAttribute(name) !== value) from.setAttribute(name, value);
    }
    for (const { name } of [...from.attributes]) {
      if (!to.hasAttribute(name)) from.removeAttribute(name);
    }
    // What the shopper typed or picked lives in properties the attributes no longer drive; the new
    // page's values win, except in a field being typed in outside the form that was sent.
    const typing = from === document.activeElement && !submitted?.contains(from);
    if (from instanceof HTMLInputElement) {
      if (from.type === "checkbox" || from.type === "radio") from.checked = to.hasAttribute("checked");
      else if (from.type !== "file" && !typing) from.value = to.getAttribute("value") ?? "";
    } else if (from instanceof HTMLOptionElement) {
      from.selected = to.hasAttribute("selected");
    } else if (from instanceof HTMLTextAreaElement) {
      if (!typing) from.value = to.textContent;
    }
    morphChildren(from, to);
  }

  function hydrateNewIslands() {
    const islands = insertedIslands.splice(0);
    // Before the WASM has started, its own start-up hydrates whatever islands the page has by then.
    if (!window.__hydrateIsland || document.documentElement.dataset.hydrated !== "true") return;
    for (const island of islands) window.__hydrateIsland(island, island.dataset.component);
  }
})();
