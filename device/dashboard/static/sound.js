// The chime for a new customer card: two short tones made in the page with WebAudio (nothing is
// downloaded), and a mute switch this screen remembers across reloads.
const MUTED_KEY = "branchdoor.teller.muted";
const NOTES_HZ = [880, 1175]; // A5 then D6: rising, short, audible over a branch's noise
const NOTE_S = 0.18;
// Cards arriving together (a replay, cues the kiosk held while cut off) ring once: chimes started on
// top of each other add up their gain and clip.
const BURST_MS = 2000;

function remembered() {
  try {
    return localStorage.getItem(MUTED_KEY) === "1";
  } catch {
    return false; // storage refused (a locked-down browser): sound on, as a new screen would be
  }
}

export class Chime {
  constructor(button, t) {
    this.button = button;
    this.t = t;
    this.muted = remembered();
    this.context = null;
    this.rangAt = -Infinity; // performance.now() of the last chime: a suspended context's clock stands still
    button.title = t("soundHelp");
    button.addEventListener("click", () => this.toggle());
    this.show();
  }

  // Browsers start audio only after a gesture: the Connect click (and this button) is one.
  unlock() {
    if (!this.context && "AudioContext" in window) this.context = new AudioContext();
    if (this.context && this.context.state === "suspended") this.context.resume().catch(() => {});
  }

  toggle() {
    this.muted = !this.muted;
    try {
      localStorage.setItem(MUTED_KEY, this.muted ? "1" : "0");
    } catch {
      // not remembered, but still switched for this page
    }
    this.unlock();
    this.show();
  }

  show() {
    this.button.setAttribute("aria-pressed", String(this.muted));
    this.button.textContent = this.t(this.muted ? "soundOff" : "soundOn");
  }

  play() {
    if (this.muted) return;
    this.unlock();
    const context = this.context;
    if (!context || performance.now() - this.rangAt < BURST_MS) return;
    this.rangAt = performance.now();
    let at = context.currentTime + 0.01;
    for (const hz of NOTES_HZ) {
      const tone = context.createOscillator();
      const level = context.createGain();
      tone.type = "sine";
      tone.frequency.value = hz;
      level.gain.setValueAtTime(0.0001, at);
      level.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
      level.gain.exponentialRampToValueAtTime(0.0001, at + NOTE_S);
      tone.connect(level).connect(context.destination);
      tone.start(at);
      tone.stop(at + NOTE_S + 0.02);
      at += NOTE_S + 0.04;
    }
  }
}
