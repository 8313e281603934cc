"""A one-page dashboard at ``/dashboard``: the chain, each hosted scheme, and the last demo's narration, live.

The page subscribes to the node's event feed (``GET /api/events``, server-sent
events, ``node/live.py``) and redraws a panel when its event arrives: L1 blocks
with the gas each scheme used, the optimistic rollup's batches with their
challenge windows counting down, the zk-rollup's proving progress and
verification gas, the Plasma blocks and exits, the channel graph with its
balances and locks, and a demo's narrated steps as ``l2lab demo --rpc`` posts
them. Contracts and dev accounts are read from the REST API, so everything it
shows can also be fetched with curl. It loads nothing from elsewhere (a
workshop room is often offline), and every value is set as text, never as
markup.
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
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
  h3 { font-size: .95rem; margin: .8rem 0 .3rem; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: .2rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  code, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
  .warn { color: #a40; }
  .bar button { margin-right: .4rem; }
  #error { color: #b00; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(32rem, 1fr)); gap: 0 1.5rem; }
  .panel { border-top: 2px solid #ccd; margin-top: .6rem; }
  .muted { color: #777; }
  .chip { display: inline-block; padding: 0 .4rem; margin: 0 .2rem .1rem 0; border-radius: .6rem; background: #eef;
          font-size: 12px; }
  .chip.optimistic { background: #fde2e2; } .chip.zk { background: #e2f0fd; }
  .chip.channels { background: #e5f7e1; } .chip.plasma { background: #f4e8fb; }
  .ok { color: #186a1f; } .bad { color: #b00; }
  #steps { max-height: 32rem; overflow-y: auto; }
  #steps .say { font-weight: 600; margin-top: .5rem; }
  #steps .note, #steps .gas, #steps .balances { margin-left: 1.6rem; }
  #steps .gas { color: #224; font-family: ui-monospace, monospace; font-size: 12px; }
  #steps table { width: auto; margin-left: 1.6rem; }
  #steps .summary { margin-top: .6rem; font-weight: 600; }
  table.small td, table.small th { font-size: 12px; padding: .15rem .4rem; }
  svg text { font: 11px ui-monospace, monospace; }
</style>
</head>
<body>
<h1>l2lab node</h1>
<div class="mono"><span id="status">loading…</span> <span id="fees"></span></div>
<div id="live" class="muted">connecting to the event feed…</div>
<div class="bar">
  <button onclick="post('/api/mine', {blocks: 1})">mine 1 block</button>
  <button onclick="post('/api/time/increase', {seconds: 3600})">+1 hour</button>
  <button onclick="post('/api/time/increase', {seconds: 86400})">+1 day</button>
  <a href="/docs">API docs</a>
</div>
<div id="error"></div>
<div class="grid">
<section>
<h2>Demo narration <span id="demo-name" class="muted"></span></h2>
<div id="verdict"></div>
<div id="steps"><p class="muted">No demo yet: run one against this node, e.g.
<code id="demo-hint">l2lab demo optimistic --rpc URL</code>, and its steps appear here as they happen.</p></div>
</section>
<section>
<h2>Recent L1 blocks</h2>
<table class="small"><thead><tr><th>#</th><th>hash</th><th>time (UTC)</th><th>txs</th><th>gas used</th><th>gas by scheme</th><th>base fee</th></tr></thead>
<tbody id="blocks"></tbody></table>
</section>
</div>
<div id="schemes" class="grid"></div>
<h2>Contracts</h2>
<table><thead><tr><th>name</th><th>address</th><th>methods</th></tr></thead><tbody id="contracts"></tbody></table>
<h2>Dev accounts</h2>
<p class="warn">These keys are public. Never send real funds to them.</p>
<table><thead><tr><th>#</th><th>address</th><th>balance (ETH)</th></tr></thead><tbody id="accounts"></tbody></table>
<script>
"use strict";
const el = (id) => document.getElementById(id);
// Every value goes in as text: h() builds elements, never parses markup.
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return node;
}
function svg(tag, attrs, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text != null) node.textContent = String(text);
  return node;
}
const fill = (node, ...children) => { node.replaceChildren(...children.flat()); return node; };
const row = (...cells) => h("tr", {}, cells.map((c) => c instanceof Node && c.tagName === "TD" ? c : h("td", {}, c)));
const short = (x) => { const s = String(x || ""); return s.length > 18 ? s.slice(0, 10) + "…" + s.slice(-6) : s; };
const num = (n) => Number(n || 0).toLocaleString("en-US");
const eth = (wei) => { const w = BigInt(wei || 0); const whole = w / 10n**18n; const frac = (w % 10n**18n).toString().padStart(18, "0").replace(/0+$/, ""); return frac ? whole + "." + frac.slice(0, 4) : whole.toString(); };
const time = (t) => new Date(t * 1000).toISOString().replace(".000Z", "Z");
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
el("demo-hint").textContent = "l2lab demo optimistic --rpc " + location.origin;

// ---------------------------------------------------------------- the chain (REST, on news and every 10 s)
let chain = {head_timestamp: 0, time_offset: 0};
const chainNow = () => Date.now() / 1000 + (chain.time_offset || 0);
async function refresh() {
  try {
    const st = await get("/api/status");
    el("fees").textContent = `· base fee ${num(st.base_fee_per_gas)} wei · ${st.pending_transactions} pending`;
    const cs = await get("/api/contracts");
    fill(el("contracts"), cs.length ? cs.map((c) => row(c.name, h("td", {class: "mono"}, c.address),
      c.abi.filter((e) => e.type === "function").map((e) => e.name).join(", "))) : [row("none deployed")]);
    const ds = await get("/api/dev-accounts");
    fill(el("accounts"), ds.accounts.map((a) => row(a.index, h("td", {class: "mono"}, a.address), eth(a.balance_wei))));
  } catch (e) { el("error").textContent = e.message; }
}
let refreshSoon = null;
const refreshLater = () => { clearTimeout(refreshSoon); refreshSoon = setTimeout(refresh, 500); };
refresh();
setInterval(refresh, 10000);

function onStatus(s) {
  chain = s;
  const mode = s.automine ? "automine" : (s.interval_mining_seconds ? "every " + s.interval_mining_seconds + " s" : "manual");
  el("status").textContent = `chain ${s.chain_id} · head #${s.head_number} · ${time(s.head_timestamp)} · clock +${s.time_offset} s · ${mode}`;
  for (const tr of [...el("blocks").children]) if (Number(tr.dataset.number) > s.head_number) tr.remove();
}

const blocks = new Map();
function onBlock(b) {
  blocks.set(b.number, b);
  for (const n of [...blocks.keys()].sort((x, y) => y - x).slice(12)) blocks.delete(n);
  const chips = (b) => Object.entries(b.gas_by_scheme).map(([s, g]) => h("span", {class: "chip " + s, title: s}, s + " " + num(g)));
  fill(el("blocks"), [...blocks.values()].sort((x, y) => y.number - x.number).map((b) => {
    const tr = row(b.number, h("td", {class: "mono"}, short(b.hash)), time(b.timestamp).slice(11), b.transactions, num(b.gas_used),
                   h("td", {}, chips(b), b.calls.map((c) => h("div", {class: "muted mono"},
                     `${c.contract || short(c.to) || "transfer"}.${c.method}: ${num(c.gas)}${c.ok ? "" : " (reverted)"}`))),
                   num(b.base_fee_per_gas));
    tr.dataset.number = b.number;
    return tr;
  }));
  refreshLater();
}

// ---------------------------------------------------------------- the schemes
function panel(name) {
  let p = el("scheme-" + name);
  if (!p) { p = h("section", {id: "scheme-" + name, class: "panel"}); el("schemes").append(p); }
  return p;
}
const TITLES = {optimistic: "Optimistic rollup", zk: "zk-rollup", channels: "Payment channels", plasma: "Plasma"};
const table = (heads, rows) => h("table", {}, h("thead", {}, h("tr", {}, heads.map((x) => h("th", {}, x)))), h("tbody", {}, rows));
const facts = (pairs) => h("div", {class: "mono"}, pairs.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => k + " " + v).join(" · "));

function optimistic(p) {
  const s = p.status;
  const faults = s.faults || [];
  return [facts([["rollup", short(s.address)], ["fraud proofs", s.fraud_proof], ["window", s.challenge_window + " s"],
                 ["batches on L1", s.batch_count], ["pending txs", s.pending_transactions],
                 ["deposits", `${s.deposits_included}/${s.deposits_queued} included`]]),
          faults.length ? h("div", {class: "bad"}, "dispute: " + faults.map((f) => JSON.stringify(f)).join("; ")) : "",
          s.censoring_deposits ? h("div", {class: "bad", id: "optimistic-censoring"},
                                   "the operator leaves every deposit out: once one is overdue, anyone bonded may post it") : "",
          table(["batch", "posted by", "bytes", "entries", "claim", "challenge window", "fault"], (p.batches || []).slice().reverse().map((b) => {
            // The contract counts the window on the chain's clock as it reads now: it closes that far from now.
            const left = h("td", {class: "countdown", "data-closes": chainNow() + b.challenge_time_left,
                                  "data-final": b.final ? 1 : 0});
            const by = b.proposer && s.operator && b.proposer.toLowerCase() === s.operator.toLowerCase()
              ? "the operator" : short(b.proposer);
            return row(b.index, by, num(b.bytes), b.entries, b.claim_standing ? "standing" : "struck", left,
                       b.fault ? h("span", {class: "bad"}, JSON.stringify(b.fault)) : "none");
          }))];
}
function tick() {
  for (const td of document.querySelectorAll(".countdown")) {
    if (td.dataset.final === "1") { td.textContent = "final"; td.className = "countdown ok"; continue; }
    const left = Math.max(0, Math.round(Number(td.dataset.closes) - chainNow()));
    td.textContent = left > 0 ? left + " s left" : "over: final at the next block";
  }
}
setInterval(tick, 1000);

function zk(p) {
  const s = p.status, g = s.progress || {};
  return [facts([["rollup", short(s.address)], ["preset", s.preset], ["batches verified", s.l1.batches],
                 ["mempool", s.mempool], ["queued deposits", s.queued_deposits], ["exodus", s.exodus]]),
          h("div", {}, "prover: ", h("b", {}, g.phase || "idle"), g.batch != null ? ` batch ${g.batch}` : "",
            g.elapsed_seconds != null ? ` · ${g.elapsed_seconds} s` : "",
            ` · ${g.deposits || 0} deposits, ${g.transfers || 0} transfers, ${g.withdrawals || 0} withdrawals`),
          table(["batch", "verification gas (commit_and_verify)", "constraints", "witness s", "prove s"],
                (s.proving_history || []).slice().reverse().map((x) => row(x.batch, num(x.gas), num(x.constraints), x.witness_seconds, x.prove_seconds)))];
}

function plasma(p) {
  const s = p.status, q = s.exit_queue || {};
  return [facts([["root chain", short(s.address)], ["child block", s.current_child_block], ["pending txs", s.pending],
                 ["exit period", `${s.params.exit_period_blocks} blocks / ${s.params.exit_period_seconds} s`],
                 ["exit queue", q.length], ["next exit", q.next ? `${q.next.utxo_pos} at ${time(q.next.exitable_at)}` : "none"]]),
          h("h3", {}, "child blocks"),
          table(["block", "root", "txs", "data"], (s.recent_blocks || []).slice().reverse().map((b) =>
            row(b.blknum, h("td", {class: "mono"}, short(b.root)), b.transactions, b.withheld ? h("span", {class: "bad"}, "withheld") : "served"))),
          h("h3", {}, "exits"),
          table(["output", "owner", "amount (ETH)", "state", "exitable at"], ((p.exits || {}).exits || []).slice().reverse().map((x) =>
            row(x.utxo_pos, h("td", {class: "mono"}, short(x.owner)), eth(x.amount), x.state, time(x.exitable_at))))];
}

function channels(p) {
  const s = p.status, cs = p.channels || [];
  const names = new Map((s.peers || []).map((x) => [x.address.toLowerCase(), "(" + x.account + ")"]));
  const who = (a) => names.get(String(a).toLowerCase()) || short(a);
  const nodes = [...new Set(cs.flatMap((c) => [c.participant.toLowerCase(), c.partner.toLowerCase()]))];
  const W = 420, H = nodes.length > 2 ? 220 : 60, R = 80;
  const at = new Map(nodes.map((a, i) => [a, nodes.length <= 2 ? [W / 2 - 140 + 280 * i, H / 2]
    : [W / 2 + R * 1.8 * Math.cos(2 * Math.PI * i / nodes.length), H / 2 + R * Math.sin(2 * Math.PI * i / nodes.length)]]));
  const graph = svg("svg", {width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "graph"});
  for (const c of cs) {
    const [x1, y1] = at.get(c.participant.toLowerCase()), [x2, y2] = at.get(c.partner.toLowerCase());
    const open = c.status === "opened";
    graph.append(svg("line", {x1, y1, x2, y2, stroke: open ? "#3a7" : "#bbb", "stroke-width": 2}));
    const locked = BigInt(c.locked) + BigInt(c.partner_locked);
    graph.append(svg("text", {x: (x1 + x2) / 2 - 60, y: (y1 + y2) / 2 - 4},
      `${eth(c.balance)} | ${eth(c.partner_balance)}` + (locked ? ` · ${eth(locked)} locked` : "")));
  }
  for (const [a, [x, y]] of at) {
    graph.append(svg("circle", {cx: x, cy: y, r: 14, fill: "#eef", stroke: "#557"}));
    graph.append(svg("text", {x: x - 12, y: y + 4}, who(a)));
  }
  if (!nodes.length) graph.append(svg("text", {x: 4, y: 20}, "no channels yet"));
  return [facts([["adjudicator", short(s.adjudicator)], ["peers", (s.peers || []).map((x) => `(${x.account})${x.online ? "" : " offline"}`).join(" ")],
                 ["held on L1", eth(s.deposits_held_wei) + " ETH"]]),
          graph,
          table(["channel", "peer", "partner", "status", "balances (ETH)", "locked (ETH)", "locks in flight", "nonces"], cs.map((c) =>
            row(c.channel_identifier, who(c.participant), who(c.partner), c.status, `${eth(c.balance)} | ${eth(c.partner_balance)}`,
                `${eth(c.locked)} | ${eth(c.partner_locked)}`, `${c.pending_locks} | ${c.partner_pending_locks}`, `${c.nonce} | ${c.partner_nonce}`)))];
}
const RENDER = {optimistic, zk, plasma, channels};

function onScheme(p) {
  const body = p.state !== "hosted" ? [h("p", {class: "muted"}, p.state + ": " + (p.detail || ""))]
             : (RENDER[p.name] || ((x) => [h("pre", {class: "mono"}, JSON.stringify(x.status, null, 1))]))(p);
  fill(panel(p.name), h("h2", {}, TITLES[p.name] || p.name), body);
  tick();
}

// ---------------------------------------------------------------- the narration
let run = null;
function onNarration(s) {
  const steps = el("steps");
  if (s.run !== run) {
    run = s.run;
    fill(steps);
    el("verdict").textContent = "";
    el("demo-name").textContent = "· " + s.demo;
  }
  let item;
  if (s.kind === "start") item = h("div", {class: "muted start"}, s.text);
  else if (s.kind === "say") item = h("div", {class: "say"}, `[${s.step}] ${s.text}`);
  else if (s.kind === "balances") item = h("div", {class: "balances"}, table(["who", "L1 (ETH)", "L2 (ETH)"], (s.rows || []).map((r) => row(r.who, eth(r.l1_wei), eth(r.l2_wei)))));
  else if (s.kind === "summary") {
    const ok = s.ok === true;
    item = h("div", {class: "summary " + (ok ? "ok" : "bad")}, (ok ? "verdict: " : "verdict (failed): ") + s.text +
             (s.l1_gas_total != null ? ` · L1 gas ${num(s.l1_gas_total)}` : "") + (s.lost_wei != null ? ` · honest users lost ${s.lost_wei} wei` : ""));
    fill(el("verdict"), item.cloneNode(true));
  } else item = h("div", {class: s.kind}, s.text);
  item.dataset.seq = s.seq;
  steps.append(item);
  steps.scrollTop = steps.scrollHeight;
}

// ---------------------------------------------------------------- the feed
const feed = new EventSource("/api/events");
const on = (name, fn) => feed.addEventListener(name, (e) => { try { fn(JSON.parse(e.data)); } catch (err) { el("error").textContent = name + ": " + err.message; } });
on("hello", (x) => { el("live").textContent = "live · schemes: " + x.schemes.join(", "); el("live").className = "ok"; run = null; fill(el("schemes")); blocks.clear(); x.schemes.forEach(panel); });
on("status", onStatus);
on("block", onBlock);
on("scheme", onScheme);
on("narration", onNarration);
feed.onerror = () => { el("live").textContent = "event feed lost: reconnecting…"; el("live").className = "warn"; };
</script>
</body>
</html>
"""


@router.get("/dashboard", response_class=HTMLResponse, summary="A live one-page view of the chain and its schemes")
def dashboard() -> HTMLResponse:
    return HTMLResponse(_PAGE)
