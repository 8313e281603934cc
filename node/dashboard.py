"""A one-page dashboard at ``/dashboard``: the chain's head, recent blocks, accounts, contracts.

It is a static page that polls the REST API, so everything it shows can also
be fetched with curl; it has no state and no build step.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["dashboard"])

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>l2lab node</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: .2rem .6rem; border-bottom: 1px solid #ddd; }
  code, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
  .warn { color: #a40; }
  .bar button { margin-right: .4rem; }
  #error { color: #b00; }
</style>
</head>
<body>
<h1>l2lab node</h1>
<div id="status" class="mono">loading…</div>
<div class="bar">
  <button onclick="post('/api/mine', {blocks: 1})">mine 1 block</button>
  <button onclick="post('/api/time/increase', {seconds: 3600})">+1 hour</button>
  <button onclick="post('/api/time/increase', {seconds: 86400})">+1 day</button>
  <a href="/docs">API docs</a>
</div>
<div id="error"></div>
<h2>Recent blocks</h2>
<table><thead><tr><th>#</th><th>hash</th><th>time</th><th>txs</th><th>gas used</th><th>base fee</th></tr></thead>
<tbody id="blocks"></tbody></table>
<h2>Contracts</h2>
<table><thead><tr><th>name</th><th>address</th><th>methods</th></tr></thead><tbody id="contracts"></tbody></table>
<h2>Dev accounts</h2>
<p class="warn">These keys are public. Never send real funds to them.</p>
<table><thead><tr><th>#</th><th>address</th><th>balance (ETH)</th></tr></thead><tbody id="accounts"></tbody></table>
<script>
const el = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
const short = (h) => h.slice(0, 10) + "…" + h.slice(-6);
const eth = (wei) => { const w = BigInt(wei); const whole = w / 10n**18n; const frac = (w % 10n**18n).toString().padStart(18, "0").replace(/0+$/, ""); return frac ? whole + "." + frac.slice(0, 6) : whole.toString(); };
async function get(path) { const r = await fetch(path); if (!r.ok) throw new Error(path + ": " + (await r.text())); return r.json(); }
// The admin token arrives in the URL's fragment (never sent to a server), as `l2lab node` prints it.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) { sessionStorage.setItem("l2lab-token", fragment.get("token")); history.replaceState(null, "", location.pathname); }
async function post(path, body) {
  const token = sessionStorage.getItem("l2lab-token");
  const headers = {"content-type": "application/json", ...(token ? {authorization: "Bearer " + token} : {})};
  const r = await fetch(path, {method: "POST", headers, body: JSON.stringify(body)});
  el("error").textContent = r.ok ? "" : (await r.json()).detail;
  refresh();
}
async function refresh() {
  try {
    const s = await get("/api/status");
    const mode = s.automine ? "automine" : (s.interval_mining_seconds ? "every " + s.interval_mining_seconds + " s" : "manual");
    el("status").textContent = `chain ${s.chain_id} · head #${s.head_number} · ${new Date(s.head_timestamp * 1000).toISOString()} · clock +${s.time_offset} s · ${mode} · base fee ${s.base_fee_per_gas} wei`;
    const blocks = await get("/api/blocks?limit=10");
    el("blocks").innerHTML = blocks.map((b) => `<tr><td>${b.number}</td><td class="mono">${short(b.hash)}</td><td>${new Date(b.timestamp * 1000).toISOString()}</td><td>${b.transactions.length}</td><td>${b.gas_used}</td><td>${b.base_fee_per_gas}</td></tr>`).join("");
    const cs = await get("/api/contracts");
    el("contracts").innerHTML = cs.map((c) => `<tr><td>${esc(c.name)}</td><td class="mono">${esc(c.address)}</td><td>${c.abi.filter((e) => e.type === "function").map((e) => esc(e.name)).join(", ")}</td></tr>`).join("") || "<tr><td colspan=3>none deployed</td></tr>";
    const ds = await get("/api/dev-accounts");
    el("accounts").innerHTML = ds.accounts.map((a) => `<tr><td>${a.index}</td><td class="mono">${esc(a.address)}</td><td>${eth(a.balance_wei)}</td></tr>`).join("");
  } catch (e) { el("error").textContent = e.message; }
}
refresh();
setInterval(refresh, 3000);
</script>
</body>
</html>
"""


@router.get("/dashboard", response_class=HTMLResponse, summary="A live one-page view of the chain")
def dashboard() -> HTMLResponse:
    return HTMLResponse(_PAGE)
