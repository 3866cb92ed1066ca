// Getting the agent's attention for urgent work: a short tone (Web Audio, no file to load), a desktop
// notification (permission asked once, after the agent's own click), and the tab title.

let audio = null;

export function tone(urgent) {
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = urgent ? 880 : 520;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (urgent ? 0.35 : 0.15));
  } catch {
    // No audio device: the visual and screen-reader signals still carry it.
  }
}

const ASKED = "kefu.notify_asked";

export function askOnce() {
  if (!("Notification" in window) || Notification.permission !== "default") return;
  if (localStorage.getItem(ASKED)) return;
  localStorage.setItem(ASKED, "1");
  Notification.requestPermission().catch(() => {});
}

export function notify(title, body) {
  if (!("Notification" in window) || Notification.permission !== "granted" || document.hasFocus()) return;
  try {
    new Notification(title, { body, tag: "kefu-offer" });
  } catch {
    // Some browsers allow notifications only from a service worker: the title and tone remain.
  }
}
