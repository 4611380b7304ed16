/* The "try it" panel of the events page: connect, emit with a JSON body, log acks and events. */
(function () {
  "use strict";

  const contract = JSON.parse(document.getElementById("sioapp-contract").textContent);
  const $ = (id) => document.getElementById(id);
  const url = $("try-url");
  const namespace = $("try-namespace");
  const auth = $("try-auth");
  const eventSelect = $("try-event");
  const args = $("try-args");
  const askAck = $("try-ack");
  const status = $("try-status");
  const log = $("try-log");
  let socket = null;

  const served = location.protocol === "http:" || location.protocol === "https:";
  if (served) {
    for (const link of document.querySelectorAll("[data-suffix]")) {
      link.href = location.pathname.replace(/\/+$/, "") + link.dataset.suffix;
    }
    $("downloads").hidden = false;
  }
  url.value = served ? location.origin : Object.values(contract.servers)[0] || "";

  const option = (value) => {
    const element = document.createElement("option");
    element.value = element.textContent = value;
    return element;
  };

  const current = () => contract.namespaces.find((ns) => ns.name === namespace.value);
  const events = () => current().events;
  let authEdited = false;

  /** The namespace's example auth, until the user writes their own. */
  function showAuth() {
    if (!authEdited) auth.value = JSON.stringify(current().auth, null, 2);
  }

  function showExample() {
    const event = events().find((candidate) => candidate.name === eventSelect.value);
    args.value = event ? JSON.stringify(event.example, null, 2) : "[]";
  }

  function listEvents() {
    eventSelect.replaceChildren(...events().map((event) => option(event.name)));
    showExample();
  }

  namespace.replaceChildren(...contract.namespaces.map((ns) => option(ns.name)));
  listEvents();
  showAuth();
  auth.addEventListener("input", () => {
    authEdited = true;
  });

  function entry(kind, title, data) {
    const item = document.createElement("li");
    item.dataset.kind = kind;
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    const label = document.createElement("span");
    label.className = "kind";
    label.textContent = kind;
    const name = document.createElement("code");
    name.textContent = title;
    item.append(time, label, name);
    if (data !== undefined) {
      const body = document.createElement("pre");
      body.textContent = JSON.stringify(data, null, 2);
      item.append(body);
    }
    log.prepend(item);
  }

  function setState(state, text) {
    status.dataset.state = state;
    status.textContent = text;
    const connected = state === "connected";
    $("try-emit").disabled = !connected;
    $("try-disconnect").disabled = socket === null;
  }

  const INVALID = Symbol("invalid");

  function parseJson(text, what) {
    try {
      return text.trim() === "" ? undefined : JSON.parse(text);
    } catch (error) {
      entry("error", `${what} is not valid JSON`, error.message);
      return INVALID;
    }
  }

  function disconnect() {
    if (socket !== null) {
      const closing = socket;
      socket = null;
      closing.disconnect();
    }
    setState("disconnected", "Not connected");
  }

  $("try-connect-form").addEventListener("submit", (submit) => {
    submit.preventDefault();
    const credentials = parseJson(auth.value, "Auth");
    if (credentials === INVALID) return;
    disconnect();
    const current = sioapp.io(url.value, {
      namespace: namespace.value,
      auth: credentials,
      path: contract.path,
    });
    socket = current;
    setState("connecting", "Connecting…");
    current.on("connect", () => {
      setState("connected", `Connected to ${current.namespace} as ${current.id}`);
      entry("connect", current.namespace, { sid: current.id });
    });
    current.on("connect_error", (error) => {
      if (socket === current) socket = null;
      setState("error", `Refused: ${error.message}`);
      entry("connect_error", error.message, error.data);
    });
    current.on("disconnect", (reason) => {
      if (socket === current) socket = null;
      setState("disconnected", `Disconnected: ${reason}`);
      entry("disconnect", reason);
    });
    current.onAny((event, ...payload) => entry("event", event, payload));
  });

  $("try-disconnect").addEventListener("click", disconnect);

  $("try-emit-form").addEventListener("submit", (submit) => {
    submit.preventDefault();
    const parsed = parseJson(args.value, "Arguments");
    if (parsed === INVALID || socket === null || !eventSelect.value) return;
    const values = parsed === undefined ? [] : Array.isArray(parsed) ? parsed : [parsed];
    const event = eventSelect.value;
    entry("emit", event, values);
    if (askAck.checked) socket.emit(event, ...values, (...reply) => entry("ack", event, reply));
    else socket.emit(event, ...values);
  });

  namespace.addEventListener("change", () => {
    if (socket !== null) disconnect();
    listEvents();
    showAuth();
  });
  eventSelect.addEventListener("change", showExample);
  $("try-clear").addEventListener("click", () => log.replaceChildren());

  function selectNamespace(name) {
    if (namespace.value !== name) {
      namespace.value = name;
      namespace.dispatchEvent(new Event("change"));
    }
    $("try").scrollIntoView({ block: "start" });
  }

  for (const button of document.querySelectorAll("button.try")) {
    button.addEventListener("click", () => {
      selectNamespace(button.dataset.namespace);
      eventSelect.value = button.dataset.event;
      showExample();
      args.focus();
    });
  }
  for (const button of document.querySelectorAll("button.try-auth")) {
    button.addEventListener("click", () => {
      selectNamespace(button.dataset.namespace);
      auth.focus();
    });
  }
})();
