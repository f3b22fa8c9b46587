// Tanhui ranger scanner (/scan). Works offline once loaded: the service worker keeps the
// app, IndexedDB keeps the site pack and the visit log, WebCrypto checks signatures.
// Every text shown comes translated from the page (data-strings); none is written here.

import {
  decodeStatusList,
  ed25519Available,
  isRevoked,
  parseCertificateNumber,
  parseCertificateText,
  parsePassText,
  parsePlaqueText,
  verifyCertificate,
  verifyPass,
  verifySignedDocument,
} from "./crypto.js";
import { allCheckins, allVisits, deviceId, getMeta, putCheckin, putVisit, setMeta } from "./store.js";
import { cameraAvailable, decodeFile, scanCamera } from "./camera.js";

const root = document.getElementById("scan-app");
const cfg = root.dataset;
const T = JSON.parse(cfg.strings);
const locale = cfg.lang === "en" ? "en" : "zh-CN";
const $ = (id) => document.getElementById(id);

const state = { pack: null, keys: null, bits: null, current: null, plaque: null, pass: null, syncing: false };

function t(name, params = {}) {
  return (T[name] || name).replace(/%\((\w+)\)s/g, (_, k) => String(params[k] ?? ""));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function displayId(publicId) {
  return publicId.slice(0, 5) + "-" + publicId.slice(5);
}

function localTime(iso) {
  return new Date(iso).toLocaleString(locale, { timeZone: "Asia/Shanghai", dateStyle: "medium", timeStyle: "short" });
}

function shanghaiDay(date) {
  return date.toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
}

function age(iso) {
  const minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
  return minutes < 120 ? t("minutes", { n: minutes }) : t("hours", { n: Math.round(minutes / 60) });
}

// ---- the site pack ---------------------------------------------------------------

async function acceptPack(pack, keys) {
  if (!(await ed25519Available(keys))) throw new Error("crypto");
  if (!(await verifySignedDocument(pack, "tanhui-scan-pack-v1", keys))) return false;
  if (!(await verifySignedDocument(pack.status_list, "tanhui-status-list-v1", keys))) return false;
  state.bits = await decodeStatusList(pack.status_list.credentialSubject.encodedList);
  state.pack = pack;
  state.keys = keys;
  return true;
}

function renderPack(message) {
  const pack = state.pack;
  const warning = $("pack-warning");
  const select = $("site-select");
  if (!pack) {
    $("pack-state").textContent = message || t("no_pack");
    warning.hidden = true;
    $("site-choice").hidden = true;
    return;
  }
  const sites = pack.sites.map((s) => `${s.code} · ${locale === "en" ? s.name_en : s.name_zh}`);
  $("pack-state").replaceChildren(
    el("strong", {}, t("pack_as_of", { time: localTime(pack.revocations_as_of), age: age(pack.revocations_as_of) })),
    el("br"),
    t("pack_sites", { sites: sites.join("、") }),
    ...(message ? [el("br"), message] : []),
  );
  const maxHours = Number(pack.max_age_hours || cfg.maxAgeHours);
  const old = Date.now() - new Date(pack.revocations_as_of).getTime() > maxHours * 3600000;
  warning.hidden = !old;
  warning.textContent = old ? t("pack_old", { hours: maxHours }) : "";
  const previous = select.value;
  select.replaceChildren(...pack.sites.map((s) => el("option", { value: s.code }, s.code)));
  if (previous && pack.sites.some((s) => s.code === previous)) select.value = previous;
  $("site-choice").hidden = pack.sites.length < 2;
  renderDays();
}

async function loadStoredPack() {
  const [pack, keys] = await Promise.all([getMeta("pack"), getMeta("keys")]);
  if (!pack || !keys) return renderPack();
  try {
    if (!(await acceptPack(pack, keys))) return renderPack(t("pack_bad"));
  } catch (error) {
    return renderPack(t(error.message === "crypto" ? "crypto_missing" : "pack_bad"));
  }
  renderPack();
}

async function downloadPack() {
  const button = $("pack-download");
  button.disabled = true;
  $("pack-state").textContent = t("downloading");
  try {
    const get = (url) =>
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" }).then((r) => {
        if (!r.ok || r.redirected) throw new Error(String(r.status));
        return r.json();
      });
    const [keys, pack] = await Promise.all([get(cfg.keysUrl), get(cfg.packUrl)]);
    if (!(await acceptPack(pack, keys))) throw new Error("signature");
    await setMeta("keys", keys);
    await setMeta("pack", pack);
    renderPack(t("downloaded"));
  } catch (error) {
    renderPack(t(error.message === "crypto" ? "crypto_missing" : "download_failed"));
  } finally {
    button.disabled = false;
  }
}

// ---- certificate and plaque ------------------------------------------------------

function siteOf(code) {
  return state.pack && state.pack.sites.find((s) => s.code === code);
}

function plotOf(siteCode, plotCode) {
  const site = siteOf(siteCode);
  return site && site.plots.find((p) => p.code === plotCode);
}

function selectedSite() {
  // The site the ranger is at: the one chosen (the choice shows with two sites or more).
  const sites = state.pack ? state.pack.sites : [];
  const chosen = $("site-select").value;
  return sites.some((s) => s.code === chosen) ? chosen : sites[0]?.code || null;
}

// `source` says which check was made: against the pack (and of when), or online.
function showVerdict(box, verdict, heading, text, rows = [], source = null) {
  box.hidden = false;
  box.dataset.verdict = verdict;
  const dl = el("dl", { class: "scan-facts" });
  for (const [label, value] of rows) dl.append(el("dt", {}, label), el("dd", {}, value));
  const parts = [el("p", { class: "scan-verdict" }, heading), el("p", {}, text)];
  if (source) parts.push(el("p", { class: "scan-source small muted", "data-source": source.kind }, source.text));
  if (rows.length) parts.push(dl);
  box.replaceChildren(...parts);
}

function packSource() {
  return { kind: "pack", text: t("source_pack", { time: localTime(state.pack.revocations_as_of) }) };
}

function onlineSource() {
  return { kind: "online", text: t("source_online") };
}

// What is shown of a certificate, whichever way it was found: its signed token, the
// pack's record, or the registry's JSON (GET /api/v1/certificates/<id>).
function factsOfToken(parsed) {
  return { publicId: parsed.publicId, kind: parsed.kind, issuedOn: parsed.issuedOn, plotCode: parsed.plotCode, quantityKg: parsed.quantityKg };
}

function factsOfRecord(publicId, record) {
  return { publicId, kind: record.kind, issuedOn: record.issued_on, plotCode: record.plot, quantityKg: null };
}

function factsOfRegistry(doc) {
  return {
    publicId: doc.public_id,
    kind: doc.kind,
    issuedOn: doc.issued_on,
    plotCode: doc.plot_code,
    quantityKg: doc.quantity_kg,
    holder: doc.holder_public,
  };
}

function certificateRows(facts, record) {
  const rows = [
    [t("certificate"), `${displayId(facts.publicId)} · ${t("kind_" + facts.kind)}`],
    [t("issued"), facts.issuedOn],
  ];
  if (facts.plotCode) rows.push([t("plot"), facts.plotCode]);
  if (facts.quantityKg != null) rows.push([t("quantity"), t("kg", { n: Number(facts.quantityKg).toLocaleString(locale) })]);
  if (record) {
    const site = siteOf(record.site);
    const plot = plotOf(record.site, record.plot);
    rows.push([t("holder"), record.holder_public || t("anonymous")]);
    if (site) rows.push([t("site"), locale === "en" ? `${site.name_en} (${site.code})` : `${site.name_zh}（${site.code}）`]);
    if (plot) {
      rows.push([t("species"), locale === "en" ? plot.species_en : plot.species_zh]);
      rows.push([t("sponsor"), plot.sponsor_public || t("anonymous")]);
    }
  } else if ("holder" in facts) {
    rows.push([t("holder"), facts.holder || t("anonymous")]);
  }
  return rows;
}

/** The registry's record of `publicId` when there is signal: {doc}, {missing} or {unreachable}. */
async function lookUpOnline(publicId) {
  if (!navigator.onLine) return { unreachable: true };
  try {
    const response = await fetch(cfg.certificateUrl.replace("__ID__", publicId), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (response.status === 404) return { missing: true };
    if (!response.ok || response.redirected) return { unreachable: true };
    const doc = await response.json();
    return doc && doc.public_id === publicId ? { doc } : { unreachable: true };
  } catch {
    return { unreachable: true };
  }
}

// A number typed from the paper: no signature to check, so the pack's signed record (plot
// certificates of the ranger's sites) or, with signal, the registry is the answer.
async function checkNumber(box, publicId) {
  const record = state.pack.certificates[publicId] || null;
  let result;
  let explanation;
  let facts = null;
  let source;
  if (record) {
    result = isRevoked(state.bits, record.index) ? "revoked" : "valid";
    explanation = t(result === "revoked" ? "revoked_number_text" : "valid_number_text");
    facts = factsOfRecord(publicId, record);
    source = packSource();
  } else {
    const online = await lookUpOnline(publicId);
    if (online.doc) {
      result = online.doc.status === "revoked" ? "revoked" : "valid";
      explanation = t(result === "revoked" ? "revoked_number_text" : "valid_number_text");
      facts = factsOfRegistry(online.doc);
      source = onlineSource();
    } else if (online.missing) {
      result = "invalid";
      explanation = t("missing_number_text");
      source = onlineSource();
    } else {
      result = "unknown";
      explanation = t("unknown_number_text");
      source = { kind: "none", text: t("source_offline") };
    }
  }
  showVerdict(box, result, t(result), explanation, facts ? certificateRows(facts, record) : [], source);
  return { result, record, publicId };
}

async function checkToken(box, parsed) {
  let ok = false;
  try {
    ok = await verifyCertificate(parsed, state.keys);
  } catch {
    showVerdict(box, "none", "—", t("crypto_missing"));
    return null;
  }
  if (!ok) {
    showVerdict(box, "invalid", t("invalid"), t("invalid_text"));
    return { result: "invalid", record: null, publicId: parsed.publicId };
  }
  let record = state.pack.certificates[parsed.publicId] || null;
  let result;
  let explanation;
  let source = packSource();
  let facts = factsOfToken(parsed);
  if (record) {
    if (record.kind !== parsed.kind || record.issued_on !== parsed.issuedOn || (parsed.kind === "plot" && record.plot !== parsed.plotCode)) {
      result = "invalid";
      explanation = t("mismatch_text");
      record = null;
    } else if (isRevoked(state.bits, record.index)) {
      result = "revoked";
      explanation = t("revoked_text");
    } else {
      result = "valid";
      explanation = t("valid_text");
    }
  } else {
    // Genuine, but not a plot certificate of the ranger's sites (an offset or event
    // certificate): its revocation is known online only.
    const online = await lookUpOnline(parsed.publicId);
    if (online.doc) {
      result = online.doc.status === "revoked" ? "revoked" : "valid";
      explanation = t(result === "revoked" ? "revoked_text" : "valid_text");
      facts = { ...facts, holder: online.doc.holder_public };
      source = onlineSource();
    } else {
      result = "unknown";
      explanation = t("unknown_text");
      source = { kind: "none", text: t("source_offline") };
    }
  }
  showVerdict(box, result, t(result), explanation, certificateRows(facts, record), source);
  return { result, record, publicId: parsed.publicId };
}

async function checkCertificate(text) {
  const box = $("certificate-result");
  state.current = null;
  state.plaque = null;
  $("plaque-result").hidden = true;
  if (!state.pack) {
    showVerdict(box, "none", "—", t("no_pack"));
    return;
  }
  const parsed = parseCertificateText(text);
  const number = parsed ? null : parseCertificateNumber(text);
  let outcome;
  if (parsed) outcome = await checkToken(box, parsed);
  else if (number) outcome = await checkNumber(box, number);
  else if (/\/V\//i.test(text)) {
    // A certificate QR text that does not parse: altered, or cut short.
    showVerdict(box, "invalid", t("invalid"), t("invalid_text"));
    outcome = { result: "invalid", record: null, publicId: null };
  } else {
    showVerdict(box, "none", "—", t("not_certificate"));
    return;
  }
  if (outcome) state.current = { text: text.trim(), ...outcome };
}

function checkPlaque(text) {
  const box = $("plaque-result");
  state.plaque = null;
  if (!state.current) return showVerdict(box, "none", "—", t("plaque_first"));
  const plaque = parsePlaqueText(text, selectedSite());
  if (!plaque) return showVerdict(box, "none", "—", t("not_plaque"));
  if (!plotOf(plaque.site, plaque.plot)) return showVerdict(box, "none", "—", t("plaque_unknown"));
  const record = state.current.record;
  const matched = Boolean(record && state.current.result !== "invalid" && record.site === plaque.site && record.plot === plaque.plot);
  const label = locale === "en" ? `${plaque.plot} (${plaque.site})` : `${plaque.plot}（${plaque.site}）`;
  showVerdict(
    box,
    matched ? "match" : "no-match",
    matched ? t("match") : t("no_match"),
    matched ? t("match_text", { plot: label }) : t("no_match_text", { plot: label }),
  );
  state.plaque = { text: text.trim(), site: plaque.site, matched };
}

// ---- visit log and upload --------------------------------------------------------

const UPLOAD_BATCH = 100; // the server takes at most 200 visits per upload
const STATUS_TEXT = { created: "log_created", exists: "log_exists", rejected: "log_rejected" };

async function renderLog() {
  const visits = (await allVisits()).sort((a, b) => b.scanned_at.localeCompare(a.scanned_at));
  const list = $("visit-log");
  if (!visits.length) {
    list.replaceChildren(el("li", { class: "muted" }, t("log_empty")));
  } else {
    list.replaceChildren(
      ...visits.map((v) => {
        let status = v.synced ? t(STATUS_TEXT[v.status] || "log_created", { reason: v.message || "" }) : t("log_waiting");
        if (v.synced && v.status === "duplicate") status = t(v.other_device ? "log_duplicate" : "log_duplicate_same");
        const what = [v.public_id ? displayId(v.public_id) : "—", v.plot || "", t(v.offline_result)].filter(Boolean).join(" · ");
        return el(
          "li",
          { "data-status": v.synced ? v.status : "waiting", "data-id": v.id },
          el("span", { class: "scan-log-time" }, localTime(v.scanned_at)),
          " ",
          el("span", {}, what),
          " — ",
          el("span", { class: "scan-log-status" }, status),
        );
      }),
    );
  }
  const pending = visits.filter((v) => !v.synced).length;
  $("sync-state").textContent = pending ? t("sync_pending", { n: pending }) : visits.length ? t("sync_done") : "";
}

async function recordVisit() {
  const current = state.current;
  const message = $("log-message");
  if (!current || !state.pack) {
    message.textContent = t("nothing_to_record");
    return;
  }
  const today = shanghaiDay(new Date());
  const visits = await allVisits();
  const genuine = (result) => result === "valid" || result === "revoked";
  const seenToday = (v) =>
    v.public_id === current.publicId && genuine(v.offline_result) && shanghaiDay(new Date(v.scanned_at)) === today;
  if (genuine(current.result) && visits.some(seenToday)) {
    message.textContent = t("already_recorded");
    return;
  }
  const plaque = state.plaque;
  await putVisit({
    id: crypto.randomUUID(),
    site: plaque ? plaque.site : current.record ? current.record.site : $("site-select").value || state.pack.sites[0]?.code || "",
    certificate_text: current.text,
    plaque_text: plaque ? plaque.text : null,
    offline_result: current.result,
    matched: plaque ? plaque.matched : null,
    public_id: current.publicId,
    plot: current.record ? current.record.plot : null,
    scanned_at: new Date().toISOString(),
    synced: false,
  });
  message.textContent = t("recorded");
  await renderLog();
  sync();
}

async function sync() {
  await syncCheckins();
  if (state.syncing || !navigator.onLine) return;
  state.syncing = true; // before any await: one upload at a time
  const pending = (await allVisits()).filter((v) => !v.synced);
  if (!pending.length) {
    state.syncing = false;
    return renderLog();
  }
  $("sync-state").textContent = t("syncing");
  try {
    const session = await fetch(cfg.sessionUrl, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" });
    if (!session.ok || session.redirected) throw new Error(String(session.status));
    const { csrf_token: csrf } = await session.json();
    const device = await deviceId();
    for (let start = 0; start < pending.length; start += UPLOAD_BATCH) {
      const batch = pending.slice(start, start + UPLOAD_BATCH);
      const response = await fetch(cfg.visitsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({
          device_id: device,
          visits: batch.map((v) => ({
            id: v.id,
            site: v.site,
            certificate_text: v.certificate_text,
            plaque_text: v.plaque_text,
            offline_result: v.offline_result,
            scanned_at: v.scanned_at,
          })),
        }),
      });
      if (!response.ok) throw new Error(String(response.status));
      const { results } = await response.json();
      for (const result of results) {
        const visit = batch.find((v) => v.id === result.id);
        if (!visit) continue;
        Object.assign(visit, {
          synced: true,
          status: result.status,
          server_result: result.result,
          other_device: result.other_device,
          message: result.message,
        });
        await putVisit(visit);
      }
    }
    state.syncing = false;
    await renderLog();
  } catch {
    state.syncing = false;
    await renderLog();
    $("sync-state").textContent = t("sync_failed");
  }
}

// ---- planting days (植树日): passes, attendance and trees, offline ---------------------

function packDays() {
  return (state.pack && state.pack.planting_days) || [];
}

function selectedDay() {
  const code = $("day-select").value;
  return packDays().find((d) => d.code === code) || null;
}

function renderDays() {
  const days = packDays();
  $("planting-mode").hidden = !days.length;
  const select = $("day-select");
  const previous = select.value;
  select.replaceChildren(...days.map((d) => el("option", { value: d.code }, `${d.date} · ${d.site} · ${d.code}`)));
  const today = shanghaiDay(new Date());
  const todays = days.find((d) => d.date === today);
  if (previous && days.some((d) => d.code === previous)) select.value = previous;
  else if (todays) select.value = todays.code;
}

async function checkPass(text) {
  const box = $("pass-result");
  const day = selectedDay();
  state.pass = null;
  $("checkin-form").hidden = true;
  const parsed = parsePassText(text);
  if (!day) return showVerdict(box, "invalid", t("invalid"), t("pass_no_day"));
  if (!parsed || !(await verifyPass(parsed, state.keys))) {
    return showVerdict(box, "invalid", t("invalid"), t("pass_invalid"));
  }
  if (parsed.site !== day.site) {
    return showVerdict(box, "invalid", t("invalid"), t("pass_other_site", { site: parsed.site }));
  }
  if (parsed.day !== day.code) {
    return showVerdict(box, "invalid", t("invalid"), t("pass_other_day", { code: parsed.day }));
  }
  const known = day.passes[parsed.passId];
  const rows = [[t("pass"), parsed.passId], [t("people"), String(parsed.places)]];
  if (known === undefined) {
    showVerdict(box, "unknown", t("unknown"), t("pass_not_in_pack"), rows, packSource());
  } else {
    showVerdict(box, "valid", t("valid"), t("pass_valid", { n: parsed.places }), rows, packSource());
  }
  state.pass = parsed;
  $("attendees").value = String(parsed.places);
  $("attendees").max = String(parsed.places);
  $("tree-fields").replaceChildren(
    ...day.plots.map((code) =>
      el("label", {}, el("span", {}, t("plot") + " " + code), el("input", { type: "number", min: "0", inputmode: "numeric", "data-plot": code, value: "0" })),
    ),
  );
  $("checkin-form").hidden = false;
}

async function recordCheckin() {
  const message = $("checkin-message");
  const day = selectedDay();
  const pass = state.pass;
  if (!pass || !day) {
    message.textContent = t("pass_first");
    return;
  }
  const attendees = Number($("attendees").value);
  if (!Number.isInteger(attendees) || attendees < 0 || attendees > pass.places) {
    message.textContent = t("attendees_range", { n: pass.places });
    return;
  }
  const trees = [];
  for (const input of $("tree-fields").querySelectorAll("input[data-plot]")) {
    const n = Number(input.value || "0");
    if (!Number.isInteger(n) || n < 0 || n > 10000) {
      message.textContent = t("trees_range");
      return;
    }
    if (n > 0) trees.push({ plot: input.dataset.plot, trees: n });
  }
  const existing = await allCheckins();
  if (existing.some((c) => c.pass_id === pass.passId && c.day === day.code)) {
    message.textContent = t("pass_already_here");
    return;
  }
  await putCheckin({
    id: crypto.randomUUID(),
    day: day.code,
    pass_text: pass.text,
    pass_id: pass.passId,
    attendees,
    trees,
    scanned_at: new Date().toISOString(),
    synced: false,
  });
  state.pass = null;
  $("checkin-form").hidden = true;
  message.textContent = t("checkin_recorded");
  await renderCheckins();
  sync();
}

async function renderCheckins() {
  const items = (await allCheckins()).sort((a, b) => b.scanned_at.localeCompare(a.scanned_at));
  $("checkin-log").replaceChildren(
    ...items.map((c) => {
      const total = c.trees.reduce((sum, row) => sum + row.trees, 0);
      let status = t("log_waiting");
      if (c.synced) {
        if (c.status === "rejected") status = t("log_rejected", { reason: c.message || "" });
        else if (c.status === "duplicate") status = c.message || t("log_duplicate");
        else status = t("log_created");
      }
      return el(
        "li",
        { "data-status": c.synced ? c.status : "waiting", "data-id": c.id },
        el("span", { class: "scan-log-time" }, localTime(c.scanned_at)),
        " ",
        el("span", {}, `${c.pass_id} · ${t("people")} ${c.attendees} · ${t("trees_n", { n: total })}`),
        " — ",
        el("span", { class: "scan-log-status" }, status),
      );
    }),
  );
}

async function syncCheckins() {
  if (state.syncingCheckins || !navigator.onLine) return;
  state.syncingCheckins = true;
  try {
    const pending = (await allCheckins()).filter((c) => !c.synced);
    if (!pending.length) return;
    const session = await fetch(cfg.sessionUrl, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" });
    if (!session.ok || session.redirected) throw new Error(String(session.status));
    const { csrf_token: csrf } = await session.json();
    const device = await deviceId();
    for (let start = 0; start < pending.length; start += UPLOAD_BATCH) {
      const batch = pending.slice(start, start + UPLOAD_BATCH);
      const response = await fetch(cfg.checkinsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({
          device_id: device,
          checkins: batch.map((c) => ({ id: c.id, day: c.day, pass_text: c.pass_text, attendees: c.attendees, trees: c.trees, scanned_at: c.scanned_at })),
        }),
      });
      if (!response.ok) throw new Error(String(response.status));
      const { results } = await response.json();
      for (const result of results) {
        const item = batch.find((c) => c.id === result.id);
        if (!item) continue;
        Object.assign(item, { synced: true, status: result.status, message: result.message });
        await putCheckin(item);
      }
    }
  } catch {
    $("checkin-message").textContent = t("sync_failed");
  } finally {
    state.syncingCheckins = false;
    await renderCheckins();
  }
}

// ---- inputs: camera, photo, typed code ----------------------------------------------

function wireInput(container) {
  const target = container.dataset.target;
  const field = container.querySelector("textarea, input[type=text]");
  const checks = { certificate: checkCertificate, plaque: checkPlaque, pass: checkPass };
  const check = () => checks[target](field.value);
  container.querySelector('[data-action="check"]').addEventListener("click", check);
  const video = container.querySelector("video");
  const camera = container.querySelector('[data-action="camera"]');
  let controller = null;
  if (!cameraAvailable()) camera.hidden = true;
  camera.addEventListener("click", async () => {
    if (controller) {
      controller.abort();
      controller = null;
      return;
    }
    controller = new AbortController();
    try {
      const text = await scanCamera(video, cfg.jsqrUrl, controller.signal);
      if (text) {
        field.value = text;
        await check();
      }
    } catch {
      $(target + "-result").hidden = false;
      $(target + "-result").textContent = t("no_camera");
    } finally {
      controller = null;
    }
  });
  container.querySelector('[data-action="file"]').addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    let text = null;
    try {
      text = await decodeFile(file, cfg.jsqrUrl);
    } catch {
      text = null;
    }
    event.target.value = "";
    if (!text) {
      $(target + "-result").hidden = false;
      $(target + "-result").textContent = t("no_qr");
      return;
    }
    field.value = text;
    await check();
  });
}

function renderNet() {
  const online = navigator.onLine;
  $("net-state").textContent = online ? t("online") : t("offline");
  $("net-state").dataset.online = String(online);
  $("pack-download").disabled = !online;
}

async function start() {
  document.querySelectorAll(".scan-input").forEach(wireInput);
  $("pack-download").addEventListener("click", downloadPack);
  $("record-visit").addEventListener("click", recordVisit);
  $("sync-now").addEventListener("click", sync);
  $("record-checkin").addEventListener("click", recordCheckin);
  $("day-select").addEventListener("change", () => {
    state.pass = null;
    $("pass-result").hidden = true;
    $("checkin-form").hidden = true;
  });
  window.addEventListener("online", () => {
    renderNet();
    sync();
  });
  window.addEventListener("offline", renderNet);
  renderNet();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.scope }).catch(() => {});
  }
  await loadStoredPack();
  await renderLog();
  await renderCheckins();
  root.dataset.ready = "true";
  sync();
}

start();
