// A thin client of kefu's HTTP API: the session token in localStorage, problem+json errors as exceptions.

const TOKEN = "kefu.token";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function token() {
  return localStorage.getItem(TOKEN);
}

export function signOut() {
  localStorage.removeItem(TOKEN);
}

let skewMs = 0; // server clock minus ours, from the Date header, for offer countdowns

export function serverNow() {
  return Date.now() + skewMs;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const date = Date.parse(response.headers.get("Date") || "");
  if (!Number.isNaN(date)) skewMs = date - Date.now();
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page: keep the status, so the caller still tells 5xx from 4xx.
    if (response.ok) throw new ApiError(response.status, { detail: "not JSON" });
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function signIn(username, password) {
  const issued = await api("POST", "/api/v1/auth/login", { username, password });
  localStorage.setItem(TOKEN, issued.access_token);
  return issued;
}

// Whether an optional API (cases, callbacks, fraud stats) exists on this server: a list route that is not
// built yet answers 404 (or 405), and its panel stays hidden. Any other error is a real error.
export async function optional(path) {
  try {
    return { present: true, data: await api("GET", path) };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      return { present: false, data: null };
    }
    throw error;
  }
}
