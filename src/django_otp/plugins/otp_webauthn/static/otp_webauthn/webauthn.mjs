// Passkeys and security keys for django-otp-ng: runs the WebAuthn ceremony of every element
// marked data-otp-webauthn="register", "verify" or "login" (see the plugin's templates).
// No dependency and no inline script, so it works under a strict Content-Security-Policy.
// The JSON forms of the WebAuthn API are used where the browser has them (parse*FromJSON,
// toJSON); elsewhere the base64url fields are converted here.

const CANCELLED = new Set(["NotAllowedError", "AbortError"]);

export function supported() {
  return typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
}

export function toBytes(value) {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "===".slice((base64.length + 3) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
}

export function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function descriptors(list) {
  return (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));
}

export function creationOptions(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

export function requestOptions(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return { ...json, challenge: toBytes(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
}

export function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") {
    try {
      return credential.toJSON();
    } catch (error) {
      // Some browsers define toJSON but fail on some credentials: fall back below.
    }
  }
  const response = credential.response;
  const json = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toBase64url(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toBase64url(response.attestationObject);
    json.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    json.response.authenticatorData = toBase64url(response.authenticatorData);
    json.response.signature = toBase64url(response.signature);
    json.response.userHandle = response.userHandle ? toBase64url(response.userHandle) : null;
  }
  return json;
}

class ServerError extends Error {
  constructor(data) {
    super(data.message || data.error || "error");
    this.data = data;
  }
}

async function post(url, csrf, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {};
  }
  if (!response.ok) throw new ServerError(data);
  return data;
}

function say(element, text, failed) {
  const status = element.querySelector("[data-otp-webauthn-status]");
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("otp-error", !!failed);
}

function explain(element, error, started, timeout) {
  const messages = element.dataset;
  if (error instanceof ServerError) {
    // The server names the page to go on from: the step-up page, or the password page of a
    // sign-in that took too long.
    const next = error.data.step_up_url || error.data.redirect;
    if (next) window.location.assign(next);
    return error.data.message || messages.msgError;
  }
  if (CANCELLED.has(error.name)) {
    return Date.now() - started >= timeout ? messages.msgTimeout : messages.msgCancelled;
  }
  if (error.name === "InvalidStateError") return messages.msgExists || messages.msgError;
  return messages.msgError;
}

async function ceremony(element, { mediation, signal } = {}) {
  const data = element.dataset;
  const kind = data.otpWebauthn;
  const extra = {};
  if (data.policy) extra.policy = data.policy;
  if (data.next) extra.next = data.next;
  const options = await post(data.begin, data.csrf, extra);
  const started = Date.now();
  const timeout = options.timeout || 300000;
  let credential;
  try {
    if (kind === "register") {
      credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    } else {
      const request = { publicKey: requestOptions(options) };
      if (mediation) request.mediation = mediation;
      if (signal) request.signal = signal;
      credential = await navigator.credentials.get(request);
    }
  } catch (error) {
    error.started = started;
    error.timeout = timeout;
    throw error;
  }
  const body = credentialJSON(credential);
  const name = element.querySelector("[name=name]");
  if (kind === "register" && name && name.value.trim()) body.name = name.value.trim();
  // "Trust this browser" of the sign-in's second step, read when the key has answered.
  const trust = element.querySelector("[name=otp_remember]");
  if (kind === "verify" && trust && trust.checked) body.remember = true;
  const result = await post(data.complete, data.csrf, body);
  if (kind === "register") {
    say(element, data.msgDone, false);
    window.location.assign(data.next || window.location.href);
  } else {
    say(element, data.msgDone, false);
    window.location.assign(result.redirect || data.next || "/");
  }
}

function start(element, button, conditional) {
  return async () => {
    if (conditional.controller) conditional.controller.abort();
    button.disabled = true;
    say(element, element.dataset.msgWorking, false);
    try {
      await ceremony(element);
    } catch (error) {
      say(element, explain(element, error, error.started || Date.now(), error.timeout || 0), true);
      button.disabled = false;
    }
  };
}

async function autofill(element, conditional) {
  const check = window.PublicKeyCredential.isConditionalMediationAvailable;
  if (typeof check !== "function" || !(await check.call(window.PublicKeyCredential))) return;
  conditional.controller = new AbortController();
  try {
    await ceremony(element, { mediation: "conditional", signal: conditional.controller.signal });
  } catch (error) {
    if (error instanceof ServerError) say(element, explain(element, error, 0, 0), true);
  }
}

function setUp(element) {
  const button = element.querySelector("[data-otp-webauthn-start]");
  if (!supported()) {
    if (button) button.disabled = true;
    say(element, element.dataset.msgUnsupported, true);
    return;
  }
  const conditional = {};
  if (button) button.addEventListener("click", start(element, button, conditional));
  if (element.dataset.otpWebauthn === "login" && element.dataset.autofill) autofill(element, conditional);
}

document.querySelectorAll("[data-otp-webauthn]").forEach(setUp);
