// Recording a voice message (MediaRecorder), loaded on first use. With a mouse: click the
// microphone to start, then send or cancel. On a phone: hold to talk (按住说话), release to send,
// slide away to cancel. A minute at most, with a countdown for the last ten seconds; shorter than
// a second is not sent. Why it cannot record (the microphone blocked, no MediaRecorder) is said.

import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { toast } from "../components/toast.js";

const MAX_MS = 60_000;
const MIN_MS = 1_000;
const COUNTDOWN_MS = 10_000;
const CANCEL_DISTANCE = 80; // px a held finger slides away to cancel
const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
const EXTENSIONS = { "audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a" };

let active = null;

function clock(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** Record, then hand the recording to ``onSend(file, durationMs)``. ``hold``: the press that
 * started it (a pointer event on ``button``) ends it. */
export async function recordVoice({ composerEl, button, hold = null, onSend }) {
  if (active) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof window.MediaRecorder !== "function") {
    toast(t("voice.unsupported"), "error", 5000);
    return;
  }
  active = {};
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (error) {
    active = null;
    const blocked = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
    toast(blocked ? t("voice.denied") : t("voice.failed"), "error", 6000);
    return;
  }
  const type = TYPES.find((candidate) => MediaRecorder.isTypeSupported(candidate)) || "";
  let recorder;
  try {
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
  } catch {
    stream.getTracks().forEach((track) => track.stop());
    active = null;
    toast(t("voice.unsupported"), "error", 5000);
    return;
  }
  const chunks = [];
  recorder.addEventListener("dataavailable", (event) => { if (event.data && event.data.size) chunks.push(event.data); });
  const started = performance.now();
  let cancelled = false;

  const time = h("span", { class: "voice-rec-time", text: t("voice.recording", { time: clock(0) }) });
  const left = h("span", { class: "voice-rec-left", "aria-live": "polite" });
  const controls = hold
    ? [h("span", { class: "voice-rec-hint", text: t("voice.release") })]
    : [
      h("button", { class: "btn btn-ghost", type: "button", text: t("action.cancel"), on: { click: () => finish(false) } }),
      h("button", { class: "btn btn-primary voice-rec-send", type: "button", text: t("voice.send"), on: { click: () => finish(true) } }),
    ];
  const bar = h("div", { class: "voice-rec", role: "status" },
    h("span", { class: "voice-rec-dot", "aria-hidden": "true" }, icon("mic", "icon-sm")), time, left, ...controls);
  composerEl.append(bar);
  composerEl.classList.add("recording");

  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    time.textContent = t("voice.recording", { time: clock(elapsed) });
    const remaining = MAX_MS - elapsed;
    left.textContent = remaining <= COUNTDOWN_MS ? t("voice.left", { s: Math.max(0, Math.ceil(remaining / 1000)) }) : "";
    if (remaining <= 0) finish(true);
  }, 200);

  function onKey(event) {
    if (event.key === "Escape") finish(false);
  }
  function onMove(event) {
    const box = button.getBoundingClientRect();
    cancelled = event.clientY < box.top - CANCEL_DISTANCE;
    bar.classList.toggle("cancelling", cancelled);
  }
  function onUp() {
    finish(!cancelled);
  }
  document.addEventListener("keydown", onKey);
  if (hold) {
    document.addEventListener("pointermove", onMove);
    document.addEventListener("pointerup", onUp);
    document.addEventListener("pointercancel", () => finish(false), { once: true });
  }

  let done = false;
  function finish(send) {
    if (done) return;
    done = true;
    const duration = Math.min(MAX_MS, Math.round(performance.now() - started));
    clearInterval(timer);
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("pointermove", onMove);
    document.removeEventListener("pointerup", onUp);
    bar.remove();
    composerEl.classList.remove("recording");
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((track) => track.stop());
      active = null;
      if (!send) return;
      if (duration < MIN_MS) {
        toast(t("voice.tooShort"), "error");
        return;
      }
      const mime = (recorder.mimeType || type || "audio/webm").split(";")[0];
      const file = new File(chunks, `voice.${EXTENSIONS[mime] || "webm"}`, { type: mime });
      onSend(file, duration);
    }, { once: true });
    recorder.stop();
  }
  recorder.start(250);
  active = { finish };
}
