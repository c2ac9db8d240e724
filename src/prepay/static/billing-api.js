// Calls to prepay's JSON API with the session cookie. A response with an
// error body becomes an ApiError carrying the server's code. A request that
// got no response becomes a NetworkError, and then the caller cannot tell
// whether the server acted on it.

const TIMEOUT_MS = 20000;

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `The server returned HTTP ${status}.`);
    this.name = "ApiError";
    this.status = status;
    this.code = (error && error.code) || "INTERNAL";
    this.details = (error && error.details) || {};
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super("The server could not be reached.");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

async function readBody(response) {
  try {
    return await response.json();
  } catch (ignored) {
    return null;
  }
}

// The session's CSRF token, which every state-changing call must send.
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function apiRequest(method, path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (method !== "GET") {
    headers["X-CSRF-Token"] = csrfToken();
  }
  const init = {
    method,
    headers,
    credentials: "same-origin",
    signal: AbortSignal.timeout(options.timeoutMs || TIMEOUT_MS),
  };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new NetworkError(error);
  }
  const body = await readBody(response);
  if (!response.ok) {
    throw new ApiError(response.status, body && body.error);
  }
  if (body === null) {
    throw new NetworkError(new Error("the response was not JSON"));
  }
  return body;
}

export function query(params) {
  const search = new URLSearchParams();
  Object.entries(params).forEach(([name, value]) => {
    if (value !== undefined && value !== null && value !== "") {
      search.append(name, String(value));
    }
  });
  const text = search.toString();
  return text ? `?${text}` : "";
}
