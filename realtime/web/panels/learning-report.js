// Learning (issue 14): tell the hub that this panelist opened a material, so that the hosts can see
// who of the panel has read or watched it (the figure per stratum on the host console). Once per
// material per page is enough: the hub counts each panelist once per material anyway
// (POST /api/meetings/<m>/materials/<material>/opened, idempotent), and a refusal changes nothing
// for the person, so nothing is shown for it. Only panelists are counted (the hub's table).

const sent = new Set();

export function reportOpened(conn, welcome, meeting, material) {
  if (!welcome || welcome.role !== "panelist" || !meeting || !material) return;
  const key = `${meeting}/${material}`;
  if (sent.has(key)) return;
  sent.add(key);
  const url = `/api/meetings/${encodeURIComponent(meeting)}/materials/${encodeURIComponent(material)}/opened`;
  fetch(url, { method: "POST", headers: { Authorization: `Bearer ${conn.token}` }, keepalive: true })
    .then((r) => {
      if (!r.ok && r.status >= 500) sent.delete(key); // the hub could not count it: try again next time
    })
    .catch(() => sent.delete(key));
}
