// Offline checks for the ranger scanner: certificate tokens (docs/PROTOCOLS.md §8),
// signed documents (status list §status, site pack §11) — WebCrypto Ed25519 only.

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ID_ALPHABET = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}$/;
const TOKEN = /^([0-9])([A-Z])([0-9]{5})([A-Z2-7]{3})([0-9A-Z-]{1,16})\.([A-Z2-7]{103})$/;
const QUANTITY = /^[1-9][0-9]{0,8}$/;
const KINDS = { O: "offset", P: "plot", E: "event" };
const DAY_MS = 86400000;

export function base32Decode(text) {
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error("bad base32");
    value = ((value << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  // Canonical encoding: the unused low bits of the last character must be zero.
  if (bits > 0 && (value & ((1 << bits) - 1)) !== 0) throw new Error("non-canonical base32");
  return new Uint8Array(out);
}

function base64urlDecode(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const raw = atob(padded);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function hexDecode(hex) {
  if (!/^[0-9a-f]*$/.test(hex) || hex.length % 2) throw new Error("bad hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function isoDay(days) {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

/** Split a scanned QR text into its parts, or return null (PROTOCOLS §8 steps 1-2). */
export function parseCertificateText(text) {
  const upper = String(text || "").trim().toUpperCase();
  const marker = upper.lastIndexOf("/V/");
  if (marker < 0) return null;
  const rest = upper.slice(marker + 3);
  const slash = rest.indexOf("/");
  if (slash < 0) return null;
  const publicId = rest.slice(0, slash);
  const token = rest.slice(slash + 1);
  if (!ID_ALPHABET.test(publicId)) return null;
  const m = TOKEN.exec(token);
  if (!m || m[1] !== "1" || !(m[2] in KINDS)) return null;
  const kind = KINDS[m[2]];
  if (kind !== "plot" && !QUANTITY.test(m[5])) return null;
  return {
    publicId,
    kind,
    issuedOn: isoDay(Number(m[3])),
    tag: m[4],
    value: m[5],
    plotCode: kind === "plot" ? m[5] : null,
    quantityKg: kind === "plot" ? null : Number(m[5]),
    claims: token.slice(0, token.indexOf(".")),
    signature: m[6],
  };
}

// What phones type for "-" (and spaces, underscores) — ignored in a certificate number.
const SEPARATORS = /[\s\-_\u2010-\u2015\u2212]+/g;
const DASHES = /[\u2010-\u2015\u2212]/g;

/**
 * The public id of a certificate number as printed — under the QR code ("9RD6Y-RXEDP", any
 * case, with or without the hyphen) or in the verify URL (".../v/9RD6YRXEDP") — or null.
 * Same forms as typed_number() in webapp/services/scan/visits.py.
 */
export function parseCertificateNumber(text) {
  let upper = String(text || "").trim().toUpperCase();
  const marker = upper.lastIndexOf("/V/");
  if (marker >= 0) upper = upper.slice(marker + 3).replace(/\/+$/, "");
  if (upper.length > 64) return null;
  const compact = upper.normalize("NFKC").replace(SEPARATORS, "").toUpperCase();
  return ID_ALPHABET.test(compact) ? compact : null;
}

/**
 * `{site, plot}` of a plaque: its QR text `{BASE}/P/<SITE>/<PLOT>`, or its code typed as
 * printed — "A-05" (at `site`, the site the ranger is at), "CLS-JN/A-05" or "CLS-JN A-05" —
 * in any case; null otherwise. Same forms as parse_plaque() in webapp/services/scan/visits.py.
 */
export function parsePlaqueText(text, site = null) {
  const clean = String(text || "").normalize("NFKC").replace(DASHES, "-").trim().toUpperCase();
  const url = /\/P\/([0-9A-Z-]{1,32})\/([0-9A-Z-]{1,16})\/?$/.exec(clean);
  if (url) return { site: url[1], plot: url[2] };
  const typed = /^(?:([A-Z0-9][A-Z0-9-]{1,15})\s*\/\s*|([A-Z0-9][A-Z0-9-]{1,15})\s+)?([0-9A-Z-]{1,16})$/.exec(clean);
  if (!typed) return null;
  const where = typed[1] || typed[2] || (site ? String(site).trim().toUpperCase() : "");
  return where ? { site: where, plot: typed[3] } : null;
}

/** Whether this browser's WebCrypto can import an Ed25519 key (Chromium 113+). */
export async function ed25519Available(keyDocument) {
  const jwk = (keyDocument.keys || [])[0];
  if (!jwk || !globalThis.crypto || !crypto.subtle) return false;
  try {
    await importKey(jwk);
    return true;
  } catch {
    return false;
  }
}

async function importKey(jwk) {
  return crypto.subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
}

async function verifyWith(jwk, signature, message) {
  const key = await importKey(jwk);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

/** Verify a parsed certificate token's signature against a key document. */
export async function verifyCertificate(parsed, keyDocument) {
  const jwk = (keyDocument.keys || []).find((k) => k.kid.slice(3, 6).toUpperCase() === parsed.tag);
  if (!jwk) return false;
  let signature;
  try {
    signature = base32Decode(parsed.signature);
  } catch {
    return false;
  }
  if (signature.length !== 64) return false;
  const message = new TextEncoder().encode("TANHUI-CERT:" + parsed.publicId + "/" + parsed.claims);
  return verifyWith(jwk, signature, message);
}

/** Canonical JSON (PROTOCOLS §1): JSON.stringify with object keys sorted recursively. */
export function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }
  return JSON.stringify(value);
}

/** Verify a document signed as "<context>\n" + canonical JSON without proof.signature. */
export async function verifySignedDocument(doc, context, keyDocument) {
  const proof = doc && doc.proof;
  if (!proof || typeof proof.signature !== "string" || proof.signature.length !== 128) return false;
  const jwk = (keyDocument.keys || []).find((k) => k.kid === proof.kid);
  if (!jwk) return false;
  const { signature, ...unsignedProof } = proof;
  const message = new TextEncoder().encode(context + "\n" + canonical({ ...doc, proof: unsignedProof }));
  try {
    return await verifyWith(jwk, hexDecode(signature), message);
  } catch {
    return false;
  }
}

/** The raw bits of a status list `encodedList` ("u" + base64url of GZIP). */
export async function decodeStatusList(encoded) {
  if (typeof encoded !== "string" || !encoded.startsWith("u")) throw new Error("bad list");
  const compressed = base64urlDecode(encoded.slice(1));
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function isRevoked(bits, index) {
  if (!(index >= 0 && index < bits.length * 8)) return false;
  return Boolean(bits[index >> 3] & (0x80 >> (index & 7)));
}

// ---- planting-day passes (webapp/services/planting/passes.py) ----------------------

const PASS = /^([0-9A-Z]{10})\/(PD[0-9A-Z]{6})\/([0-9A-Z-]{1,16})\/([1-9][0-9]{0,2})\/([A-Z2-7]{3})\.([A-Z2-7]{103})$/;

/** A pass's parts from its QR text (or the part after /T/), or null. */
export function parsePassText(text) {
  const upper = String(text || "").trim().toUpperCase();
  const marker = upper.lastIndexOf("/T/");
  const rest = marker >= 0 ? upper.slice(marker + 3) : upper;
  const m = PASS.exec(rest);
  if (!m) return null;
  return {
    text: upper,
    passId: m[1],
    day: m[2],
    site: m[3],
    places: Number(m[4]),
    tag: m[5],
    signature: m[6],
    body: rest.slice(0, rest.lastIndexOf(".")),
  };
}

/** Verify a parsed pass: Ed25519 over "TANHUI-PASS:" + the body, by the key of its tag. */
export async function verifyPass(parsed, keyDocument) {
  const jwk = (keyDocument.keys || []).find((k) => k.kid.slice(3, 6).toUpperCase() === parsed.tag);
  if (!jwk) return false;
  let signature;
  try {
    signature = base32Decode(parsed.signature);
  } catch {
    return false;
  }
  if (signature.length !== 64) return false;
  return verifyWith(jwk, signature, new TextEncoder().encode("TANHUI-PASS:" + parsed.body));
}
