// One customer card: built from a cue (contract: device/mqtt/contract/asyncapi.json, CuePayload), then
// its clocks updated every tick. Text goes into the page only through textContent.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// When the customer checked in at the door: the cue's life runs from it (its `issued_at`).
export function arrivedMs(cue) {
  return Date.parse(cue.issued_at);
}

export function msLeft(cue) {
  return Date.parse(cue.expires_at) - Date.now();
}

export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

// "English", "中文", not "en" or "zh": the name in the screen's own language, the code if unknown.
export function languageName(code, language) {
  try {
    return new Intl.DisplayNames([language], { type: "language", fallback: "code" }).of(code) || code;
  } catch {
    return code; // not a well-formed language tag
  }
}

function channelLine(cue, t) {
  if (cue.checkin_channel === "token") return t("channelToken");
  const confidence = { high: t("confidenceHigh"), medium: t("confidenceMedium") }[cue.confidence];
  if (cue.checkin_channel !== "face") return confidence || ""; // a version 1 cue says no channel
  return confidence ? `${t("channelFace")} · ${confidence}` : t("channelFace");
}

function metaLine(cue, t, language) {
  const meta = [];
  if (cue.customer_ref) meta.push(t("ref", { ref: cue.customer_ref }));
  if (cue.language) meta.push(t("speaks", { language: languageName(cue.language, language) }));
  if (cue.visit_count) meta.push(cue.visit_count === 1 ? t("firstVisit") : t("visit", { count: cue.visit_count }));
  if (cue.last_visit) {
    const date = new Intl.DateTimeFormat(language, { dateStyle: "medium" }).format(new Date(cue.last_visit));
    meta.push(t("lastVisit", { date }));
  }
  return meta.join(" · ");
}

function button(className, label, onClick) {
  const node = el("button", className, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

// `on` holds the teller's three actions: served(), wrong() and undo().
export function renderCard(cue, t, language, on) {
  const verify = cue.verify_before_greeting === true ? "verify" : "";
  const card = el("article", `card ${cue.confidence || ""} ${cue.checkin_channel || ""} ${verify}`);
  card.dataset.cueId = cue.cue_id;
  const badges = el("div", "badges");
  badges.append(el("span", "badge fresh", t("fresh")), el("span", "badge stale", t("stale")));
  card.append(badges, el("h2", "greeting", t("greet", { name: cue.greeting_name || t("theCustomer") })));
  // The camera could not rule out a photo or a phone held up to it: the teller checks who it is first.
  if (verify) card.append(el("p", "verify-mark", t("verifyBeforeGreeting")));
  card.append(el("p", "waiting"), el("p", "channel", channelLine(cue, t)));
  const meta = metaLine(cue, t, language);
  if (meta) card.append(el("div", "meta", meta));
  for (const [field, title] of [["interests", t("interests")], ["service_hints", t("hints")]]) {
    if (cue[field] && cue[field].length) {
      const list = el("ul", field === "service_hints" ? "hints" : "interests");
      list.setAttribute("aria-label", title);
      for (const item of cue[field]) list.append(el("li", "", item));
      card.append(el("div", "label", title), list);
    }
  }
  card.append(el("p", "left"));
  const pending = el("div", "pending");
  pending.setAttribute("role", "status");
  pending.append(el("span", "pending-text"), button("undo", t("undo"), on.undo));
  const actions = el("div", "actions");
  actions.append(button("served", t("served"), on.served), button("wrong", t("notThisCustomer"), on.wrong));
  card.append(pending, actions);
  return card;
}

// The clocks: the wait since arrival first, the card's remaining life second, an undo's countdown.
export function updateCard(card, cue, t, undoDeadline) {
  card.querySelector(".waiting").textContent = t("waiting", { time: clock((Date.now() - arrivedMs(cue)) / 1000) });
  // "0:01 left" until the last moment
  card.querySelector(".left").textContent = t("left", { time: clock(Math.ceil(msLeft(cue) / 1000)) });
  if (undoDeadline !== null) {
    const seconds = Math.max(0, Math.ceil((undoDeadline - Date.now()) / 1000));
    card.querySelector(".pending-text").textContent = t("pendingWrong", { seconds });
  }
}
