// The reference teller dashboard: live cue cards over MQTT-over-WebSockets (contract:
// device/mqtt/contract/asyncapi.json). Text goes into the page only through textContent.
import { arrivedMs, el, msLeft, renderCard, updateCard } from "./cards.js";
import { QueueAlertBanner, QueueLine } from "./queue.js";
import { Chime } from "./sound.js";
import { pickLanguage, translator } from "./strings.js";

// The kiosk ends every cue and says so (a withdrawal): it is the authority. A cue's expiry is also
// the page's own deadline, for when that word never comes (kiosk or broker gone): a card never
// outlives its cue, and never goes before it either, whichever of the two arrives first.
const CUE_SCHEMAS = ["branchdoor/cue/2", "branchdoor/cue/1"]; // 1: a kiosk not yet upgraded
const UNDO_MS = 5000; // "Not this customer" waits this long for an Undo before it is sent
// A new card is marked new this long. A replayed cue is new only if its customer arrived less than this
// ago: a replay (every sign-in, reload or reconnect says hello) repeats the cues still waiting, which
// the teller has likely seen already, on this screen before a reload or on another.
const FRESH_MS = 20_000;
const cards = new Map(); // cue_id -> {cue, element, timer, undo: {timer, deadline} | null}
const kiosks = new Map(); // device id -> {online, since: ms, or null when not known}
let settings = null;
let client = null;
let brokerLost = false;
let screenId = "";
let zone = "";
let account = "";
const params = new URLSearchParams(location.search);
const language = pickLanguage(params.get("lang"), navigator.languages || [navigator.language]);
const t = translator(language);
let chime = null;
let queue = null;
let queueAlert = null;
// The broker holds one connection per account (config/mosquitto/) and drops the older one. Tabs of
// one browser say when they connect, so an older tab stops instead of taking the session back at
// its next reconnect, which would knock the newer one off in turn, every 2 s.
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("branchdoor-teller") : null;

function base() {
  return `${settings.topic_prefix}/${settings.branch_id}`;
}

function setStatus(state, text) {
  const status = document.getElementById("status");
  status.dataset.state = state;
  status.textContent = text;
}

function feedback(cue, verdict) {
  const body = { schema: "branchdoor/cue-feedback/1", cue_id: cue.cue_id, visit_id: cue.visit_id,
    screen_id: screenId, verdict, at: new Date().toISOString() };
  return { topic: `${base()}/screen/${screenId}/feedback`, body };
}

function sendFeedback(cue, verdict) {
  const entry = cards.get(cue.cue_id);
  if (entry) entry.element.classList.add("sending");
  const { topic, body } = feedback(cue, verdict);
  if (client) client.publish(topic, JSON.stringify(body), { qos: 1 });
}

// "Not this customer" withdraws the card from every screen and counts against the recognition: a
// slip of the finger gets a few seconds to take it back before anything is sent.
function markWrong(cue) {
  const entry = cards.get(cue.cue_id);
  if (!entry || entry.undo) return;
  entry.undo = { deadline: Date.now() + UNDO_MS, timer: setTimeout(() => commitWrong(cue.cue_id), UNDO_MS) };
  entry.element.classList.add("undoable");
  tick();
}

function commitWrong(cueId) {
  const entry = cards.get(cueId);
  if (!entry || !entry.undo) return;
  clearTimeout(entry.undo.timer);
  entry.undo = null;
  entry.element.classList.remove("undoable");
  sendFeedback(entry.cue, "not_this_customer");
}

function undoWrong(cueId) {
  const entry = cards.get(cueId);
  if (!entry || !entry.undo) return;
  clearTimeout(entry.undo.timer);
  entry.undo = null;
  entry.element.classList.remove("undoable");
}

function setStale(entry, stale) {
  entry.element.classList.toggle("stale", stale);
}

// Oldest arrival first: the customer who has waited longest is the next to greet.
function place(element, cue) {
  const container = document.getElementById("cards");
  const key = [arrivedMs(cue), cue.cue_id];
  const later = [...container.children].find((node) => {
    const other = cards.get(node.dataset.cueId);
    if (!other) return false;
    const otherKey = [arrivedMs(other.cue), other.cue.cue_id];
    return otherKey[0] > key[0] || (otherKey[0] === key[0] && otherKey[1] > key[1]);
  });
  container.insertBefore(element, later || null);
}

// What the page relies on: an id, and two times it can count with. Anything else is no card.
function usable(cue) {
  return typeof cue.cue_id === "string" && Number.isFinite(arrivedMs(cue)) && Number.isFinite(msLeft(cue));
}

// `replayed`: sent to this screen alone, after its hello (or retained), not as the customer arrived.
function addCue(cue, replayed) {
  if (!usable(cue)) {
    console.warn("ignored a cue without an id or readable times");
    return;
  }
  const known = cards.get(cue.cue_id);
  if (known) {
    setStale(known, false); // replays repeat cues: one card each, and a repeat confirms it is still live
    return;
  }
  if (msLeft(cue) <= 0) return;
  const actions = {
    served: () => sendFeedback(cue, "served"),
    wrong: () => markWrong(cue),
    undo: () => undoWrong(cue.cue_id),
  };
  const element = renderCard(cue, t, language, actions);
  cards.set(cue.cue_id, { cue, element, timer: expireAt(cue), undo: null });
  place(element, cue);
  // A live cue is news however late it comes (a check-in the kiosk sent late was never shown). A
  // replayed one only if the customer arrived within the window: one that came while the page was
  // reloading was never seen; the ones waiting for minutes were, and a burst of them is no arrival.
  if (!replayed || Date.now() - arrivedMs(cue) < FRESH_MS) {
    element.classList.add("fresh");
    setTimeout(() => element.classList.remove("fresh"), FRESH_MS);
    chime.play();
  }
  tick();
}

// At the deadline itself, not at the next tick.
function expireAt(cue) {
  return setTimeout(() => {
    if (msLeft(cue) <= 0) removeCue(cue.cue_id);
    else if (cards.has(cue.cue_id)) cards.get(cue.cue_id).timer = expireAt(cue); // woke early
  }, Math.max(0, msLeft(cue)));
}

function removeCue(cueId) {
  const entry = cards.get(cueId);
  if (!entry) return;
  commitWrong(cueId); // the card ended inside its undo time: the teller's verdict stands
  clearTimeout(entry.timer);
  entry.element.remove();
  cards.delete(cueId);
  tick();
}

function tick() {
  for (const [cueId, { cue, element, undo }] of cards) {
    if (msLeft(cue) <= 0) {
      removeCue(cueId);
      continue;
    }
    updateCard(element, cue, t, undo ? undo.deadline : null);
  }
  document.getElementById("empty").hidden = cards.size > 0;
  const fresh = document.querySelectorAll(".card.fresh").length;
  document.title = fresh ? `(${fresh}) ${t("title")}` : t("title");
  if (queue) queue.tick();
  if (queueAlert) queueAlert.tick();
}

// A kiosk offline (its Last Will, or a clean stop) or this screen's own connection lost: say so at
// the top, and mark the cards that can no longer be withdrawn. A card is confirmed again when the
// kiosk, back, replays it; one it no longer holds stays marked until its own expiry.
function showBanner() {
  const banner = document.getElementById("offline");
  banner.replaceChildren();
  const timeFormat = new Intl.DateTimeFormat(language, { timeStyle: "medium" });
  for (const [device, { online, since }] of kiosks) {
    if (online) continue;
    const text = since === null ? t("bannerKioskUntimed", { device })
      : t("bannerKiosk", { device, time: timeFormat.format(since) });
    banner.append(el("p", "", text));
  }
  if (brokerLost) banner.append(el("p", "", t("bannerBroker")));
  banner.hidden = banner.childElementCount === 0;
  const states = [...kiosks].map(([device, { online }]) => t(online ? "kioskOnline" : "kioskOffline", { device }));
  document.getElementById("kiosks").textContent = states.join(" · ");
}

// `retained`: the broker's stored word, given at every sign-in: the kiosk changed state at some time
// before, unknown here. Only a change seen as it happens has a time.
function onAvailability(device, body, retained) {
  if (body !== "online" && body !== "offline") return;
  const online = body === "online";
  const before = kiosks.get(device);
  if (!before || before.online !== online) kiosks.set(device, { online, since: retained ? null : Date.now() });
  if (!online) for (const entry of cards.values()) if (entry.cue.device_id === device) setStale(entry, true);
  showBanner();
  if (online) sayHello(); // the kiosk listens now: it replays the cues still alive
}

function onBrokerLost() {
  brokerLost = true;
  for (const entry of cards.values()) setStale(entry, true);
  showBanner();
  setStatus("offline", t("brokerLost"));
}

function onMessage(topic, payload, packet) {
  let body;
  try {
    body = payload.toString();
    if (topic.endsWith("/availability")) {
      onAvailability(topic.split("/").at(-2), body, packet.retain);
      return;
    }
    body = JSON.parse(body);
  } catch (err) {
    console.warn("ignored a malformed message on", topic);
    return;
  }
  const replayed = packet.retain || topic === `${base()}/screen/${screenId}/cues`;
  if (topic === `${base()}/floor`) queue.update(body);
  else if (topic === `${base()}/alerts/queue`) queueAlert.update(body);
  else if (CUE_SCHEMAS.includes(body.schema)) addCue(body, replayed);
  else if (body.schema === "branchdoor/cue-withdrawal/1") removeCue(body.cue_id);
}

function sayHello() {
  const hello = { schema: "branchdoor/screen-hello/1", screen_id: screenId };
  if (zone) hello.zone = zone;
  client.publish(`${base()}/screen/${screenId}/hello`, JSON.stringify(hello), { qos: 1 });
}

function announce() {
  if (tabs && account) tabs.postMessage({ broker: settings.broker_ws_url, account });
}

// Only feedback, on a screen's feedback topic of this branch: the broker's ACL decides the rest.
function sendHandedOver(verdicts) {
  for (const { topic, body } of verdicts) {
    const screen = typeof topic === "string" && topic.match(/^(.+)\/screen\/[^/]+\/feedback$/);
    if (!screen || screen[1] !== base() || !body || body.schema !== "branchdoor/cue-feedback/1") continue;
    client.publish(topic, JSON.stringify(body), { qos: 1 });
  }
}

// A message from another tab of this browser: it signed in (`account`), or it stepped aside for this
// one and hands over its verdicts.
function fromTab(event) {
  const other = event.data || {};
  if (!client || !account || other.account !== account || other.broker !== settings.broker_ws_url) return;
  if (Array.isArray(other.verdicts)) sendHandedOver(other.verdicts);
  else stepAside();
}

function stepAside() {
  // The broker dropped this tab's connection when the other one took the account: a "Not this
  // customer" still inside its undo cannot go from here. It is committed now, through the tab that
  // took over, which holds the account's one connection.
  const verdicts = [];
  for (const entry of cards.values()) {
    if (!entry.undo) continue;
    clearTimeout(entry.undo.timer);
    entry.undo = null;
    verdicts.push(feedback(entry.cue, "not_this_customer"));
  }
  if (verdicts.length) tabs.postMessage({ broker: settings.broker_ws_url, account, verdicts });
  client.end(true);
  client = null;
  for (const cueId of [...cards.keys()]) removeCue(cueId); // no withdrawal would reach them now
  document.getElementById("login").classList.remove("signed-in");
  setStatus("replaced", t("replaced"));
}

function connect(event) {
  event.preventDefault();
  chime.unlock(); // inside the click: browsers allow sound from here on
  const value = (id) => document.getElementById(id).value.trim();
  screenId = value("screen");
  zone = value("zone");
  const options = { protocolVersion: 5, clean: true, reconnectPeriod: 2000, connectTimeout: 5000,
    clientId: `dashboard-${screenId}-${Math.random().toString(16).slice(2, 8)}` };
  account = value("username");
  if (account) {
    options.username = account;
    options.password = document.getElementById("password").value;
  }
  if (client) client.end(true);
  setStatus("connecting", t("connecting"));
  const mine = mqtt.connect(settings.broker_ws_url, options);
  client = mine;
  // A client ended (signed in again, or stepped aside) still reports its closing: not this page's state.
  const current = (handler) => (...args) => { if (client === mine) handler(...args); };
  mine.on("connect", current(() => {
    announce();
    const topics = [`${base()}/cues`, `${base()}/screen/${screenId}/cues`, `${base()}/withdrawals`,
      `${base()}/device/+/availability`];
    if (zone) topics.push(`${base()}/zone/${zone}/cues`);
    mine.subscribe(topics, { qos: 1 }, current((err) => {
      if (err) {
        setStatus("error", t("cannotSubscribe", { error: err.message }));
        return;
      }
      brokerLost = false;
      showBanner();
      document.getElementById("login").classList.add("signed-in");
      setStatus("connected", zone ? t("connectedZone", { screen: screenId, zone }) : t("connected", { screen: screenId }));
    }));
    // Apart: a broker whose ACL predates the queue line refuses it, and the cards must still come.
    mine.subscribe(`${base()}/floor`, { qos: 0 }, current((err, granted) => {
      if (err || (granted || []).some((grant) => grant.qos >= 128)) queue.unavailable();
    }));
    mine.subscribe(`${base()}/alerts/queue`, { qos: 1 }); // apart too: an older ACL refuses it
  }));
  mine.on("message", current(onMessage));
  mine.on("offline", current(onBrokerLost));
  mine.on("error", current((err) => setStatus("error", err.message)));
}

function translatePage() {
  document.documentElement.lang = language;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  setStatus("signed-out", t("signedOut"));
}

async function main() {
  translatePage();
  chime = new Chime(document.getElementById("sound"), t);
  queue = new QueueLine(document.getElementById("queue"), t, language);
  queueAlert = new QueueAlertBanner(document.getElementById("queue-alert"), t);
  settings = await (await fetch("config.json")).json();
  for (const id of ["screen", "zone", "username"]) document.getElementById(id).value = params.get(id) || "";
  document.getElementById("login").addEventListener("submit", connect);
  // Enabled only now: a click before would submit the form the browser's way and reload the page.
  document.querySelector("#login button[type=submit]").disabled = false;
  if (tabs) tabs.onmessage = fromTab;
  setInterval(tick, 500);
  tick();
}

main();
