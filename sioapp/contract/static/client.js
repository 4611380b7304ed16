/*
 * A small browser client for sioapp servers: Socket.IO 5 over an Engine.IO 4
 * WebSocket, JSON arguments (binary attachments are received, not sent), one
 * namespace per connection, no reconnection.
 *
 *   const socket = sioapp.io("https://chat.example.com", { namespace: "/", auth: { token } });
 *   socket.on("connect", () => console.log("connected as", socket.id));
 *   socket.on("connect_error", (err) => console.log(err.message, err.data));
 *   socket.on("user has left", (payload) => ...);
 *   socket.emit("join", { room: "lobby" }, (ack) => ...);
 *   const ack = await socket.emitWithAck("join", { room: "lobby" });
 *   socket.disconnect();
 */
(function (root) {
  "use strict";

  const PACKET = { CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3, CONNECT_ERROR: 4, BINARY_EVENT: 5, BINARY_ACK: 6 };
  const RESERVED = new Set([
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
  ]);

  function websocketUrl(url, path) {
    const target = new URL(url, root.location ? root.location.href : undefined);
    target.protocol = target.protocol === "https:" || target.protocol === "wss:" ? "wss:" : "ws:";
    target.pathname = target.pathname.replace(/\/+$/, "") + "/" + path.replace(/^\/+/, "");
    target.search = "?EIO=4&transport=websocket";
    target.hash = "";
    return target.href;
  }

  /** A Socket.IO packet as the text of an Engine.IO message packet ("4..."). */
  function encode(type, namespace, id, data) {
    let text = "4" + type;
    if (namespace !== "/") text += namespace + ",";
    if (id !== undefined) text += id;
    if (data !== undefined) text += JSON.stringify(data);
    return text;
  }

  /** Parses the Socket.IO packet carried by an Engine.IO message (without its "4"). */
  function decode(text) {
    let i = 1;
    const packet = { type: Number(text[0]), namespace: "/", id: undefined, data: undefined, attachments: 0 };
    if (packet.type === PACKET.BINARY_EVENT || packet.type === PACKET.BINARY_ACK) {
      const dash = text.indexOf("-", i);
      packet.attachments = Number(text.slice(i, dash));
      i = dash + 1;
    }
    if (text[i] === "/") {
      const comma = text.indexOf(",", i);
      const end = comma === -1 ? text.length : comma;
      packet.namespace = text.slice(i, end);
      i = end + 1;
    }
    const digits = /^\d*/.exec(text.slice(i))[0];
    if (digits) packet.id = Number(digits);
    i += digits.length;
    if (i < text.length) packet.data = JSON.parse(text.slice(i));
    return packet;
  }

  /** Puts received binary attachments where the packet has placeholders. */
  function reconstruct(data, buffers) {
    if (Array.isArray(data)) return data.map((item) => reconstruct(item, buffers));
    if (data !== null && typeof data === "object") {
      if (data._placeholder === true && typeof data.num === "number") return buffers[data.num];
      const result = {};
      for (const [key, value] of Object.entries(data)) result[key] = reconstruct(value, buffers);
      return result;
    }
    return data;
  }

  /** Runs a listener; its exception is reported without breaking the connection. */
  function call(listener, args) {
    try {
      listener(...args);
    } catch (error) {
      console.error(error);
    }
  }

  class Socket {
    /**
     * @param {string} url the server, e.g. "http://127.0.0.1:8000"
     * @param {{namespace?: string, auth?: object, path?: string, autoConnect?: boolean}} options
     */
    constructor(url, options = {}) {
      this.url = url;
      this.namespace = options.namespace || "/";
      this.auth = options.auth;
      this.path = options.path || "/socket.io/";
      this.id = undefined;
      this.connected = false;
      this._ws = null;
      this._listeners = new Map();
      this._anyListeners = [];
      this._acks = new Map();
      this._nextAckId = 0;
      this._buffer = [];
      this._incomplete = null;
      this._pingTimer = null;
      if (options.autoConnect !== false) this.connect();
    }

    /** Opens the connection (done by the constructor unless autoConnect is false). */
    connect() {
      if (this._ws) return this;
      const ws = new WebSocket(websocketUrl(this.url, this.path));
      ws.binaryType = "arraybuffer";
      ws.onmessage = (message) => this._onFrame(message.data);
      ws.onclose = () => this._onClose(ws, "transport close");
      this._ws = ws;
      return this;
    }

    /** Leaves the namespace and closes the connection. */
    disconnect() {
      if (this.connected) this._send(encode(PACKET.DISCONNECT, this.namespace));
      this._onClose(this._ws, "io client disconnect");
      return this;
    }

    on(event, listener) {
      if (!this._listeners.has(event)) this._listeners.set(event, []);
      this._listeners.get(event).push(listener);
      return this;
    }

    once(event, listener) {
      const wrapper = (...args) => {
        this.off(event, wrapper);
        listener(...args);
      };
      return this.on(event, wrapper);
    }

    off(event, listener) {
      if (listener === undefined) this._listeners.delete(event);
      else this._listeners.set(event, (this._listeners.get(event) || []).filter((fn) => fn !== listener));
      return this;
    }

    /** Calls listener(event, ...args) for every event the server sends. */
    onAny(listener) {
      this._anyListeners.push(listener);
      return this;
    }

    offAny(listener) {
      this._anyListeners = listener === undefined ? [] : this._anyListeners.filter((fn) => fn !== listener);
      return this;
    }

    /** Sends an event; a function as last argument receives the ack's arguments. */
    emit(event, ...args) {
      if (RESERVED.has(event)) throw new Error(`"${event}" is a reserved event name`);
      let id;
      if (typeof args[args.length - 1] === "function") {
        id = this._nextAckId++;
        this._acks.set(id, args.pop());
      }
      const text = encode(PACKET.EVENT, this.namespace, id, [event, ...args]);
      if (this.connected) this._send(text);
      else this._buffer.push(text);
      return this;
    }

    /** Sends an event and resolves with the first argument of its ack. */
    emitWithAck(event, ...args) {
      return new Promise((resolve, reject) => {
        const callback = (first) => resolve(first);
        callback.reject = reject;
        this.emit(event, ...args, callback);
      });
    }

    _send(text) {
      if (this._ws && this._ws.readyState === WebSocket.OPEN) this._ws.send(text);
    }

    _fire(event, ...args) {
      for (const listener of (this._listeners.get(event) || []).slice()) call(listener, args);
    }

    _onFrame(data) {
      if (typeof data !== "string") {
        this._onAttachment(data);
        return;
      }
      switch (data[0]) {
        case "0": {
          const handshake = JSON.parse(data.slice(1));
          this._pingDeadline = handshake.pingInterval + handshake.pingTimeout;
          this._armPingTimer();
          this._send(encode(PACKET.CONNECT, this.namespace, undefined, this.auth));
          break;
        }
        case "1":
          this._onClose(this._ws, "transport close");
          break;
        case "2":
          this._send("3");
          this._armPingTimer();
          break;
        case "4":
          this._onPacket(decode(data.slice(1)));
          break;
      }
    }

    _armPingTimer() {
      clearTimeout(this._pingTimer);
      this._pingTimer = setTimeout(() => this._onClose(this._ws, "ping timeout"), this._pingDeadline);
    }

    _onPacket(packet) {
      if (packet.namespace !== this.namespace) return;
      if (packet.attachments > 0) this._incomplete = { packet, buffers: [] };
      else this._dispatch(packet);
    }

    _onAttachment(buffer) {
      const incomplete = this._incomplete;
      if (!incomplete) return;
      incomplete.buffers.push(buffer);
      if (incomplete.buffers.length === incomplete.packet.attachments) {
        this._incomplete = null;
        incomplete.packet.data = reconstruct(incomplete.packet.data, incomplete.buffers);
        this._dispatch(incomplete.packet);
      }
    }

    _dispatch(packet) {
      switch (packet.type) {
        case PACKET.CONNECT:
          this.id = packet.data.sid;
          this.connected = true;
          for (const text of this._buffer.splice(0)) this._send(text);
          this._fire("connect");
          break;
        case PACKET.CONNECT_ERROR: {
          const error = new Error(packet.data.message);
          error.data = packet.data.data;
          this._fire("connect_error", error);
          this._onClose(this._ws, "io server disconnect");
          break;
        }
        case PACKET.DISCONNECT:
          this._onClose(this._ws, "io server disconnect");
          break;
        case PACKET.EVENT:
        case PACKET.BINARY_EVENT: {
          const [event, ...args] = packet.data;
          if (packet.id !== undefined) {
            const id = packet.id;
            args.push((...reply) => this._send(encode(PACKET.ACK, this.namespace, id, reply)));
          }
          for (const listener of this._anyListeners.slice()) call(listener, [event, ...args]);
          this._fire(event, ...args);
          break;
        }
        case PACKET.ACK:
        case PACKET.BINARY_ACK: {
          const callback = this._acks.get(packet.id);
          this._acks.delete(packet.id);
          if (callback) callback(...packet.data);
          break;
        }
      }
    }

    _onClose(ws, reason) {
      if (ws === null || ws !== this._ws) return;
      this._ws = null;
      clearTimeout(this._pingTimer);
      ws.onmessage = ws.onclose = null;
      if (ws.readyState <= WebSocket.OPEN) ws.close();
      for (const callback of this._acks.values()) {
        if (callback.reject) callback.reject(new Error("socket has been disconnected"));
      }
      this._acks.clear();
      this._buffer = [];
      if (this.connected) {
        this.connected = false;
        this.id = undefined;
        this._fire("disconnect", reason);
      } else if (reason === "transport close") {
        this._fire("connect_error", new Error("websocket error"));
      }
    }
  }

  root.sioapp = Object.assign(root.sioapp || {}, {
    Socket,
    io: (url, options) => new Socket(url, options),
  });
})(typeof window !== "undefined" ? window : globalThis);
