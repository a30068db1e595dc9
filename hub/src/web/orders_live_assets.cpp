// Script and styles of the live orders board, the counter view and the kitchen ticket print view
// (served under /static/; no inline script: the pages' CSP forbids it).
#include <string_view>

namespace kh::hub::web {

std::string_view asset_orders_live_css() {
  return R"css(.lanes{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:.75rem;align-items:start}
.lane{background:#f1f3f5;border-radius:.5rem;padding:.5rem;min-height:6rem}
.lane h2{font-size:1rem;text-transform:uppercase;letter-spacing:.04em;color:#495057;margin:.25rem .25rem .5rem;display:flex;justify-content:space-between}
.card.order{margin-bottom:.5rem;border-left:.4rem solid #adb5bd}
.card.order .num{font-size:1.6rem;font-weight:800;line-height:1}
.card.order .age{font-variant-numeric:tabular-nums;color:#495057}
.card.order .age.amber{color:#b35c00;font-weight:700}.card.order .age.red{color:#c92a2a;font-weight:800}
.card.order ul{padding-left:1.1rem;margin:.35rem 0}
.card.order .opt,.card.order .note{font-size:.85rem;color:#495057}
.card.order .note{font-style:italic}
.card.order .acts{display:flex;flex-wrap:wrap;gap:.35rem}
.card.order.s-pending_payment{border-left-color:#f59f00}.card.order.s-paid{border-left-color:#1c7ed6}
.card.order.s-preparing{border-left-color:#7048e8}.card.order.s-ready{border-left-color:#2f9e44}
.card.order.s-out_for_delivery{border-left-color:#0c8599}
.card.order.is-new{animation:flash 1.2s ease-in-out 3;box-shadow:0 0 0 .25rem #ffd43b}
@keyframes flash{50%{background:#fff3bf}}
.new-order-alert{font-weight:700;font-size:1.1rem}
.live-counter .lanes{grid-template-columns:repeat(auto-fit,minmax(300px,1fr))}
.live-counter .card.order .num{font-size:2.6rem}
.live-counter .card.order{font-size:1.15rem}
.live-counter .card.order .acts .btn{font-size:1.25rem;padding:.75rem 1rem;flex:1 1 45%}
.state-pending_payment{background:#f59f00}.state-paid{background:#1c7ed6}.state-preparing{background:#7048e8}
.state-ready{background:#2f9e44}.state-collected,.state-delivered{background:#495057}.state-cancelled,.state-refunded{background:#c92a2a}
.state-out_for_delivery{background:#0c8599}
.ticket{font-family:"DejaVu Sans Mono",monospace;color:#000;background:#fff;margin:0}
.ticket-sheet{padding:4mm}
.paper-80mm .ticket-sheet{width:72mm}
.paper-a4 .ticket-sheet{width:180mm;font-size:14pt}
.t-head{text-align:center;border-bottom:2px dashed #000;padding-bottom:2mm;margin-bottom:2mm}
.t-number{font-size:28pt;font-weight:800}.paper-a4 .t-number{font-size:48pt}
.t-type{font-size:14pt;font-weight:700}
.t-lines{list-style:none;padding:0;margin:0}
.t-lines li{padding:1.5mm 0;border-bottom:1px dotted #000;font-size:13pt;font-weight:700}
.t-lines .opt{font-weight:400;font-size:11pt;padding-left:6mm}
.t-foot{margin-top:2mm;text-align:center}
@media print{.no-print{display:none!important}
  .paper-80mm{}.paper-80mm .ticket-sheet{padding:0}
  @page{margin:4mm}}
)css";
}

std::string_view asset_orders_live_js() {
  return R"js((function () {
  'use strict';
  var root = document.getElementById('live');
  if (!root) {
    // Kitchen ticket print view: print straight away.
    if (document.body.classList.contains('ticket') && !/noprint/.test(location.search)) window.setTimeout(function () { window.print(); }, 300);
    return;
  }
  var data = JSON.parse(document.getElementById('live-data').textContent);
  // The business' thresholds (store settings), the same the counter screens use.
  var ageAmber = (data.age && data.age.amber_seconds) || 300, ageRed = (data.age && data.age.red_seconds) || 600;
  var lanesEl = document.getElementById('lanes'), statusEl = document.getElementById('live-status');
  var alertEl = document.getElementById('new-order-alert'), emptyEl = document.getElementById('live-empty');
  var counter = data.view === 'counter', f = data.filters || {};
  var lastSeq = data.seq, orders = {}, alerts = 0, sound = false, audio = null;
  var OPEN = ['pending_payment', 'paid', 'preparing', 'ready', 'out_for_delivery'];
  var LANES = [['pending_payment', 'To pay'], ['paid', 'Paid'], ['preparing', 'Preparing'], ['ready', 'Ready'],
               ['out_for_delivery', 'Out for delivery'], ['closed', 'Closed']];
  var LABEL = {preparing: 'Preparing', ready: 'Ready', out_for_delivery: 'Out for delivery', delivered: 'Delivered',
               collect: 'Collected', take_cash: 'Take cash', cancel: 'Cancel'};
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  // As protocol::format_money in the store's style (data.money): "€3.60", "3,60 €", "CHF 3.60".
  var SYM = {EUR: '\u20ac', USD: '$', GBP: '\u00a3'}, ms = data.money || {};
  function money(m) {
    var d = (m.currency === 'JPY' || m.currency === 'KRW') ? 0 : 2, div = Math.pow(10, d), a = Math.abs(m.amount);
    var num = String(Math.floor(a / div)) + (d ? (ms.decimal || '.') + String(a % div).padStart(d, '0') : '');
    var sym = SYM[m.currency] || m.currency, word = !SYM[m.currency];
    var out = ms.after ? num + '\u00a0' + sym : sym + (word ? '\u00a0' : '') + num;
    return (m.amount < 0 ? '-' : '') + out;
  }
  function words(s) { s = String(s).replace(/_/g, ' '); return s.charAt(0).toUpperCase() + s.slice(1); }
  function matches(o) {
    if (!f.state) { if (OPEN.indexOf(o.state) < 0) return false; }
    else if (f.state !== 'all' && f.state !== o.state) return false;
    if (f.channel && f.channel !== o.channel) return false;
    if (f.type && f.type !== o.order_type) return false;
    var day = (o.created_at || '').slice(0, 10);
    if (f.from && day < f.from) return false;
    if (f.to && day > f.to) return false;
    if (f.q) {
      var q = f.q.toLowerCase();
      var hay = [o.number, o.customer_name || '', o.phone || ''].join(' ').toLowerCase();
      if (hay.indexOf(q) < 0) return false;
    }
    return true;
  }
  function tone() {
    if (!sound) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var t = audio.currentTime;
      [880, 1320].forEach(function (hz, i) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = hz; o.type = 'sine';
        g.gain.setValueAtTime(0.0001, t + i * 0.18); g.gain.exponentialRampToValueAtTime(0.3, t + i * 0.18 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.18 + 0.16);
        o.connect(g); g.connect(audio.destination); o.start(t + i * 0.18); o.stop(t + i * 0.18 + 0.17);
      });
      document.body.dataset.tones = String(Number(document.body.dataset.tones || 0) + 1);
    } catch (e) { /* no audio device: the visual alert stays */ }
  }
  function act(o, action) {
    var body = new URLSearchParams();
    body.set('csrf', data.csrf); body.set('action', action);
    if (action === 'take_cash') {
      var t = window.prompt('Cash tendered for ' + o.number + ' (total ' + money(o.total) + ')', (o.total.amount / 100).toFixed(2));
      if (t === null) return; body.set('tendered', t);
    }
    if (action === 'cancel') {
      var r = window.prompt('Reason for cancelling ' + o.number);
      if (!r) return; body.set('reason', r);
      if (o.state !== 'pending_payment' && window.confirm('Put the items back in stock?')) body.set('restock', '1');
    }
    fetch('/portal/live/' + encodeURIComponent(o.order_id) + '/action', {method: 'POST', body: body,
      headers: {'Accept': 'application/json'}, credentials: 'same-origin'})
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (!j.ok) { window.alert(o.number + ': ' + (j.message || j.code)); return; }
        if (j.change) window.alert(o.number + ': change ' + money(j.change));
      })
      .catch(function () { window.alert('The hub did not answer; try again.'); });
  }
  function card(o) {
    var c = el('article', 'card order s-' + o.state);
    c.dataset.order = o.order_id; c.dataset.state = o.state; c.dataset.number = o.number;
    var b = el('div', 'card-body p-2');
    var head = el('div', 'd-flex justify-content-between align-items-baseline');
    var num = el('a', 'num text-decoration-none text-reset', o.number); num.href = '/portal/live/' + o.order_id;
    head.appendChild(num);
    var age = el('span', 'age'); age.dataset.since = o.paid_at || o.created_at; head.appendChild(age);
    b.appendChild(head);
    var meta = words(o.order_type) + ' · ' + words(o.channel) + ' · ' + (o.payment_method === 'cash' ? 'cash' : 'card') +
               (o.customer_name ? ' · ' + o.customer_name : '') + (o.table ? ' · table ' + o.table : '');
    b.appendChild(el('div', 'small text-muted', meta));
    var ul = el('ul');
    (o.lines || []).forEach(function (l) {
      var li = el('li', null, l.qty + ' × ' + l.name);
      (l.options || []).forEach(function (op) { li.appendChild(el('div', 'opt', '+ ' + op.name)); });
      if (l.note) li.appendChild(el('div', 'note', l.note));
      ul.appendChild(li);
    });
    b.appendChild(ul);
    b.appendChild(el('div', 'fw-semibold mb-1', money(o.total) + (o.state === 'pending_payment' ? ' to pay' : '')));
    var acts = el('div', 'acts');
    (o.actions || []).forEach(function (a) {
      var btn = el('button', 'btn btn-sm ' + (a === 'cancel' ? 'btn-outline-danger' : a === 'take_cash' ? 'btn-success' : 'btn-primary'), LABEL[a] || a);
      btn.type = 'button'; btn.dataset.action = a;
      btn.addEventListener('click', function () { act(o, a); });
      acts.appendChild(btn);
    });
    b.appendChild(acts);
    c.appendChild(b);
    return c;
  }
  function render() {
    lanesEl.textContent = '';
    var shown = 0, byLane = {};
    Object.keys(orders).map(function (k) { return orders[k]; })
      .sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; })
      .forEach(function (o) {
        if (!matches(o)) return;
        var lane = OPEN.indexOf(o.state) >= 0 ? o.state : 'closed';
        (byLane[lane] = byLane[lane] || []).push(o); shown++;
      });
    LANES.forEach(function (l) {
      if (l[0] === 'closed' && !byLane.closed) return;
      if (l[0] === 'out_for_delivery' && !byLane.out_for_delivery) return;
      var sec = el('section', 'lane'); sec.dataset.lane = l[0];
      var h = el('h2', null, l[1]); h.appendChild(el('span', 'badge text-bg-light', String((byLane[l[0]] || []).length)));
      sec.appendChild(h);
      (byLane[l[0]] || []).forEach(function (o) { var c = card(o); if (o._new) c.classList.add('is-new'); sec.appendChild(c); });
      lanesEl.appendChild(sec);
    });
    emptyEl.hidden = shown > 0;
    document.body.dataset.shown = String(shown);
    ages();
  }
  function ages() {
    var now = Date.now();
    lanesEl.querySelectorAll('.age').forEach(function (a) {
      var sec = Math.max(0, Math.floor((now - Date.parse(a.dataset.since)) / 1000));
      a.textContent = Math.floor(sec / 60) + ' min';
      a.classList.toggle('amber', sec >= ageAmber && sec < ageRed);
      a.classList.toggle('red', sec >= ageRed);
    });
  }
  function onEvent(ev) {
    var seq = Number(ev.lastEventId);
    if (!(seq > lastSeq)) return;  // seen already (a replay never shows an event twice)
    lastSeq = seq;
    var e = JSON.parse(ev.data);
    var o = e.order || {order_id: e.order_id, number: e.number, state: e.state, lines: [], total: {amount: 0, currency: ''}};
    var old = orders[o.order_id];
    if (old && old.phone) o.phone = old.phone;
    o.actions = e.actions || [];
    var isNew = !e.previous;
    o._new = isNew;
    if (isNew) window.setTimeout(function () { o._new = false; }, 6000);
    orders[o.order_id] = o;
    document.body.dataset.seq = String(lastSeq);
    if (isNew && matches(o)) {
      alerts++;
      document.body.dataset.alerts = String(alerts);
      alertEl.textContent = 'New order ' + o.number + (o.customer_name ? ' for ' + o.customer_name : '');
      alertEl.hidden = false;
      window.setTimeout(function () { alertEl.hidden = true; }, 8000);
      tone();
    }
    render();
  }
  (data.orders || []).forEach(function (o) { orders[o.order_id] = o; });
  render();
  window.setInterval(ages, 20000);
  var soundBtn = document.getElementById('live-sound');
  soundBtn.addEventListener('click', function () {
    sound = !sound; soundBtn.setAttribute('aria-pressed', String(sound)); soundBtn.textContent = sound ? 'Sound off' : 'Sound on';
    if (sound) tone();
  });
  var es = new EventSource('/portal/live/events?after=' + encodeURIComponent(lastSeq));
  es.addEventListener('order', onEvent);
  es.addEventListener('reload', function () { es.close(); location.reload(); });
  es.onopen = function () { statusEl.textContent = 'live'; statusEl.className = 'badge text-bg-success'; document.body.dataset.live = '1'; };
  es.onerror = function () { statusEl.textContent = 'reconnecting…'; statusEl.className = 'badge text-bg-warning'; document.body.dataset.live = '0'; };
})();
)js";
}

}  // namespace kh::hub::web
