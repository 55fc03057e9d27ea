// A GET of one of the hub's HTTP routes with the page's token in the Authorization header (never in
// a URL the hub logs), failing as the WebSocket's replies do: an Error whose `name` is the hub's
// stable error name (`forbidden`, `not_a_member`, `rate_limited`...) when the hub said one, with
// the HTTP `status`. The record page and a proposal's page read their data and downloads this way.

/** The response of `url`, or throws the hub's named error. */
export async function apiGet(url, token) {
  const r = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  if (!r.ok) {
    let name = "";
    try {
      name = (await r.json()).name || "";
    } catch {
      /* not JSON */
    }
    const err = new Error(name || `HTTP ${r.status}`);
    err.name = name;
    err.status = r.status;
    throw err;
  }
  return r;
}
