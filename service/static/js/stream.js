// The live stream. EventSource cannot send headers, so GET /v1/forecasts/stream is read
// with fetch() and a ReadableStream reader, its SSE frames parsed here, with reconnect and
// backoff.

import { storedKey } from "./api.js";

/**
 * Keep a connection open while there is a key; returns the AbortController that ends it.
 * hooks: status(kind, text) for the live indicator, unauthorized() on a 401, and
 * event(name, data) for every frame.
 */
export function openStream(hooks) {
  const ctrl = new AbortController();
  let delay = 1000;
  const loop = async () => {
    while (!ctrl.signal.aborted && storedKey()) {
      hooks.status("wait", "Connecting…");
      try {
        const res = await fetch("/v1/forecasts/stream", {
          headers: { Authorization: `Bearer ${storedKey()}`, Accept: "text/event-stream" },
          cache: "no-store",
          credentials: "omit",
          signal: ctrl.signal,
        });
        if (res.status === 401) {
          hooks.unauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        await readEvents(res.body, ctrl.signal, (name, data) => {
          if (name === "ready") {
            delay = 1000;
            hooks.status("on", "Live");
          }
          hooks.event(name, data);
        });
        if (ctrl.signal.aborted) return;
      } catch (e) {
        if (ctrl.signal.aborted) return;
      }
      hooks.status("wait", `Reconnecting in ${Math.round(delay / 1000)} s…`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  };
  loop();
  return ctrl;
}

/** Parse a text/event-stream body into (event, data) frames (WHATWG SSE rules). */
export async function readEvents(body, signal, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
  let buffer = "";
  let name = "";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === "") {
        if (data.length) {
          let parsed = data.join("\n");
          try {
            parsed = JSON.parse(parsed);
          } catch (_) {
            /* not JSON: pass the text */
          }
          onEvent(name || "message", parsed);
        }
        name = "";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue; // a keep-alive comment
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      let v = i < 0 ? "" : line.slice(i + 1);
      if (v.startsWith(" ")) v = v.slice(1);
      if (field === "event") name = v;
      else if (field === "data") data.push(v);
    }
  }
}
