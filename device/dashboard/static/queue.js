// The branch's queue line, from the kiosk's anonymous floor snapshots (`<prefix>/<branch>/floor`:
// `queue_length`, and `estimated_wait_s` = people in the queue × the average service time ÷ the
// counters busy). Snapshots come every `[floor] snapshot_interval_s` and are never retained: the line
// says when they stop coming instead of showing an old queue as the present one.
import { el } from "./cards.js";

const STALE_MIN_MS = 15_000;
const STALE_INTERVALS = 3; // snapshots missed before the line says so

export class QueueLine {
  constructor(node, t, language) {
    this.node = node;
    this.t = t;
    this.language = language;
    this.snapshot = null;
    this.receivedAt = 0;
    this.intervalMs = 0; // between the last two snapshots, as the kiosk sent them
    node.title = t("queueHow");
    this.show("unknown", t("queueUnknown"));
  }

  show(state, text) {
    this.node.dataset.state = state;
    this.node.textContent = text;
  }

  unavailable() {
    this.show("unavailable", this.t("queueUnavailable"));
  }

  update(snapshot) {
    const numbers = [snapshot.at, snapshot.queue_length, snapshot.estimated_wait_s];
    if (!numbers.every((value) => typeof value === "number" && Number.isFinite(value) && value >= 0)) return;
    if (this.snapshot && snapshot.at > this.snapshot.at) this.intervalMs = (snapshot.at - this.snapshot.at) * 1000;
    this.snapshot = snapshot;
    this.receivedAt = Date.now();
    this.tick();
  }

  tick() {
    if (!this.snapshot) return;
    const t = this.t;
    if (Date.now() - this.receivedAt > Math.max(STALE_MIN_MS, STALE_INTERVALS * this.intervalMs)) {
      const time = new Intl.DateTimeFormat(this.language, { timeStyle: "short" }).format(this.receivedAt);
      this.show("stale", t("queueStale", { time }));
      return;
    }
    const count = this.snapshot.queue_length;
    if (count === 0) {
      this.show("live", t("queueEmpty"));
      return;
    }
    const minutes = Math.round(this.snapshot.estimated_wait_s / 60);
    const wait = minutes < 1 ? t("waitUnderMinute") : t("waitMinutes", { minutes });
    this.show("live", t("queue", { count, wait }));
  }
}

// "Open another counter", from the branch's floor keeper (`<prefix>/<branch>/alerts/queue`, retained:
// a screen opening later is told at once). A banner the teller cannot miss while it is raised; gone
// when the kiosk clears it, or at its `expires_at` when the kiosk stops refreshing it (stopped, or
// another kiosk keeps the floor now), so a kiosk gone never leaves a stale alert up.
const ALERT_SCHEMA = "branchdoor/queue-alert/1";

export class QueueAlertBanner {
  constructor(node, t) {
    this.node = node;
    this.t = t;
    this.alert = null;
    node.title = t("alertHow");
    this.hide();
  }

  hide() {
    this.alert = null;
    this.node.hidden = true;
    this.node.replaceChildren();
  }

  update(alert) {
    if (!alert || alert.schema !== ALERT_SCHEMA || !["raised", "clear"].includes(alert.state)) return;
    if (alert.state === "clear" || !(Date.parse(alert.expires_at) > Date.now())) {
      this.hide();
      return;
    }
    const t = this.t;
    const more = Number.isInteger(alert.more_counters) ? alert.more_counters : 0;
    const lines = [el("strong", "", more === 0 ? t("alertHold") : more === 1 ? t("alertOpenOne") : t("alertOpenMany", { more }))];
    const reasons = Array.isArray(alert.reasons) ? alert.reasons : [];
    if (reasons.includes("line")) {
      lines.push(el("p", "", t("alertLine", { count: alert.queue_length, minutes: Math.round(alert.estimated_wait_s / 60),
        target: Math.round(alert.target_wait_s / 60) })));
    }
    if (reasons.includes("forecast") && typeof alert.forecast_arrivals_per_h === "number") {
      lines.push(el("p", "", t("alertForecast", { rate: Math.round(alert.forecast_arrivals_per_h) })));
    }
    lines.push(el("p", "basis", t("alertBasis", { open: alert.counters_open })));
    this.alert = alert;
    this.node.replaceChildren(...lines);
    this.node.hidden = false;
  }

  tick() {
    if (this.alert && !(Date.parse(this.alert.expires_at) > Date.now())) this.hide();
  }
}
