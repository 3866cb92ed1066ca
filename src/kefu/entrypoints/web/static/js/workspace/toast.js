// One polite status line at the bottom right; errors stay longer and are shown in red.

import { html, useEffect, useState } from "../ui.js";

let show = () => {};

export function say(text, bad = false) {
  show({ text, bad, at: Date.now() });
}

export function Toast() {
  const [message, setMessage] = useState(null);
  useEffect(() => {
    show = setMessage;
    return () => { show = () => {}; };
  }, []);
  useEffect(() => {
    if (!message) return undefined;
    const timer = setTimeout(() => setMessage(null), message.bad ? 8000 : 4000);
    return () => clearTimeout(timer);
  }, [message]);
  return html`<div id="toast" class=${`toast${message?.bad ? " bad" : ""}`} role="status" aria-live="polite">${message?.text ?? ""}</div>`;
}
