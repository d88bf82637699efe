// The reference teller dashboard: live cue cards over MQTT-over-WebSockets (contract:
// device/contract/asyncapi.json). Text goes into the page only through textContent.
"use strict";

// The kiosk ends every cue and says so (a withdrawal): it is the authority. A cue's expiry is also
// the page's own deadline, for when that word never comes (kiosk or broker gone): a card never
// outlives its cue, and never goes before it either, whichever of the two arrives first.
const cards = new Map(); // cue_id -> {cue, element, timer}
let settings = null;
let client = null;
let screenId = "";
let zone = "";
let account = "";
// The broker holds one connection per account (config/mosquitto/) and drops the older one. Tabs of
// one browser say when they connect, so an older tab stops instead of taking the session back at
// its next reconnect, which would knock the newer one off in turn, every 2 s.
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("branchdoor-teller") : null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function base() {
  return `${settings.topic_prefix}/${settings.branch_id}`;
}

function setStatus(state, text) {
  const status = document.getElementById("status");
  status.dataset.state = state;
  status.textContent = text;
}

function msLeft(cue) {
  return Date.parse(cue.expires_at) - Date.now();
}

function secondsLeft(cue) {
  return Math.max(0, Math.ceil(msLeft(cue) / 1000)); // "0:01 left" until the last moment
}

function render(cue) {
  const card = el("article", `card ${cue.confidence || ""}`);
  card.dataset.cueId = cue.cue_id;
  card.append(el("h2", "greeting", `Please greet ${cue.greeting_name || "the customer"}`));
  const meta = [];
  if (cue.customer_ref) meta.push(`ref ${cue.customer_ref}`);
  if (cue.language) meta.push(`speaks ${cue.language}`);
  if (cue.visit_count) meta.push(cue.visit_count === 1 ? "first visit" : `visit ${cue.visit_count}`);
  if (cue.last_visit) meta.push(`last ${new Date(cue.last_visit).toLocaleDateString()}`);
  if (cue.confidence) meta.push(`${cue.confidence} confidence`);
  card.append(el("div", "meta", meta.join(" · ")));
  for (const [field, title] of [["interests", "Interested in"], ["service_hints", "Please note"]]) {
    if (cue[field] && cue[field].length) {
      const list = el("ul", field === "service_hints" ? "hints" : "interests");
      list.setAttribute("aria-label", title);
      for (const item of cue[field]) list.append(el("li", "", item));
      card.append(el("div", "label", title), list);
    }
  }
  card.append(el("div", "left"));
  const actions = el("div", "actions");
  actions.append(button("served", "Served", cue), button("wrong", "Not this customer", cue));
  card.append(actions);
  return card;
}

function button(className, label, cue) {
  const node = el("button", className, label);
  node.type = "button";
  node.addEventListener("click", () => sendFeedback(cue, className === "served" ? "served" : "not_this_customer"));
  return node;
}

function sendFeedback(cue, verdict) {
  const entry = cards.get(cue.cue_id);
  if (entry) entry.element.classList.add("sending");
  const body = { schema: "branchdoor/cue-feedback/1", cue_id: cue.cue_id, visit_id: cue.visit_id,
    screen_id: screenId, verdict, at: new Date().toISOString() };
  client.publish(`${base()}/screen/${screenId}/feedback`, JSON.stringify(body), { qos: 1 });
}

function addCue(cue) {
  if (cards.has(cue.cue_id) || msLeft(cue) <= 0) return; // replays repeat cues: one card each
  const element = render(cue);
  cards.set(cue.cue_id, { cue, element, timer: expireAt(cue) });
  document.getElementById("cards").prepend(element);
  tick();
}

// At the deadline itself, not at the next one-second tick.
function expireAt(cue) {
  return setTimeout(() => {
    if (msLeft(cue) <= 0) removeCue(cue.cue_id);
    else if (cards.has(cue.cue_id)) cards.get(cue.cue_id).timer = expireAt(cue); // woke early
  }, Math.max(0, msLeft(cue)));
}

function removeCue(cueId) {
  const entry = cards.get(cueId);
  if (!entry) return;
  clearTimeout(entry.timer);
  entry.element.remove();
  cards.delete(cueId);
  tick();
}

function tick() {
  for (const [cueId, { cue, element }] of cards) {
    if (msLeft(cue) <= 0) {
      removeCue(cueId);
      continue;
    }
    const left = secondsLeft(cue);
    const minutes = Math.floor(left / 60);
    element.querySelector(".left").textContent =
      `${minutes}:${String(left % 60).padStart(2, "0")} left`;
  }
  document.getElementById("empty").hidden = cards.size > 0;
}

function onMessage(topic, payload) {
  let body;
  try {
    body = payload.toString();
    if (topic.endsWith("/availability")) {
      document.getElementById("kiosks").textContent = `kiosk ${topic.split("/").at(-2)} ${body}`;
      if (body === "online") sayHello(); // the kiosk listens now: it replays the cues still alive
      return;
    }
    body = JSON.parse(body);
  } catch (err) {
    console.warn("ignored a malformed message on", topic);
    return;
  }
  if (body.schema === "branchdoor/cue/1") addCue(body);
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

function stepAside(event) {
  const other = event.data || {};
  if (!client || !account || other.account !== account || other.broker !== settings.broker_ws_url) return;
  client.end(true);
  client = null;
  for (const cueId of [...cards.keys()]) removeCue(cueId); // no withdrawal would reach them now
  document.getElementById("login").classList.remove("signed-in");
  setStatus("replaced", "signed in on another tab: this one stopped (Connect takes it back)");
}

function connect(event) {
  event.preventDefault();
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
  setStatus("connecting", "connecting…");
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
        setStatus("error", `cannot subscribe: ${err.message}`);
        return;
      }
      document.getElementById("login").classList.add("signed-in");
      setStatus("connected", `screen ${screenId}${zone ? " · " + zone : ""}`);
    }));
  }));
  mine.on("message", current(onMessage));
  mine.on("offline", current(() => setStatus("offline", "broker unreachable, retrying…")));
  mine.on("error", current((err) => setStatus("error", err.message)));
}

async function main() {
  settings = await (await fetch("config.json")).json();
  const params = new URLSearchParams(location.search);
  for (const id of ["screen", "zone", "username"]) document.getElementById(id).value = params.get(id) || "";
  document.getElementById("login").addEventListener("submit", connect);
  if (tabs) tabs.onmessage = stepAside;
  setInterval(tick, 1000);
  tick();
}

main();
