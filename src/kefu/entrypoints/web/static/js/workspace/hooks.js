// Small hooks the workspace's components share.

import { serverNow } from "../api.js";
import { useEffect, useRef, useState } from "../ui.js";

// The server's "now", re-read every second while the component is on screen (countdowns, time left).
export function useNow() {
  const [now, setNow] = useState(serverNow());
  useEffect(() => {
    const timer = setInterval(() => setNow(serverNow()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

// Runs an async action once at a time: `busy` disables its button, and a second click while the first is
// in flight does nothing (a flag, not the re-render, guards it: two clicks can land before one paint).
export function useAction() {
  const [busy, setBusy] = useState(false);
  const state = useRef(false);
  async function run(fn) {
    if (state.current) return undefined;
    state.current = true;
    setBusy(true);
    try {
      return await fn();
    } finally {
      state.current = false;
      setBusy(false);
    }
  }
  return [busy, run];
}
