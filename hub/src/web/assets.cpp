// The project's own small CSS and JavaScript, served under /static/ (Bootstrap itself comes
// from Debian's libjs-bootstrap5). No inline scripts anywhere: the pages' CSP forbids them.
#include <string_view>

namespace kh::hub::web {

std::string_view asset_app_css() {
  return R"css(.thumb{width:72px;height:72px;object-fit:cover;border-radius:.4rem;flex:none}
.thumb-lg{width:160px;height:160px;object-fit:cover;border-radius:.5rem}
.hero{max-height:50vh;object-fit:cover;width:100%}
.shop .card .price{font-weight:600}
.qr-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:1rem}
.qr-cell{text-align:center;margin:0;break-inside:avoid;page-break-inside:avoid}
.qr-cell img{width:160px;height:160px;image-rendering:pixelated}
.qr-url{font-size:.7rem;word-break:break-all;color:#555}
#cart-lines .qty{min-width:2.5rem;text-align:center}
.chart{width:100%;height:auto;display:block}
.report-table{max-height:20rem;overflow:auto}
@media (max-width:576px){.chart text{font-size:17px}.chart .xl text:nth-child(2n){display:none}}
.report-table th,.report-table td{white-space:nowrap}
.support-msg.from-staff{background:#f1f6ff}
.support-body{white-space:pre-wrap;overflow-wrap:anywhere}
.w-max-24{max-width:24rem}.w-max-30{max-width:30rem}.w-max-40{max-width:40rem}.w-max-48{max-width:48rem}
.w-6rem{width:6rem;flex:none}
.hours-grid{display:grid;grid-template-columns:3.5rem repeat(4,minmax(0,1fr));gap:.4rem .5rem;align-items:center}
.hours-grid .form-control{min-width:0}
.cart-qr{width:220px;height:220px;image-rendering:pixelated}
.portal-nav .navbar-brand{max-width:16rem}
.portal-nav .portal-email{max-width:14rem}
@media print{
  @page{size:A4;margin:12mm}
  nav,.no-print{display:none!important}
  main{padding:0!important;max-width:none!important}
  .qr-grid{grid-template-columns:repeat(3,1fr);gap:8mm}
  .qr-cell img{width:50mm;height:50mm}
  .qr-url{font-size:7pt;color:#000}
}
)css";
}

std::string_view asset_app_js() {
  return R"js(// Portal helpers: confirm before cancelling an order.
document.addEventListener('submit', function (e) {
  var b = e.target.querySelector('button[data-to="cancelled"]');
  if (b && !window.confirm('Cancel this order?')) e.preventDefault();
});
)js";
}

std::string_view asset_shop_js() {
  return R"js((function () {
  'use strict';
  var body = document.body, slug = body.dataset.slug, cur = body.dataset.currency;
  var KEY = 'kh-cart-' + slug, CTX = 'kh-ctx-' + slug;
  var dataEl = document.getElementById('kh-products');
  var products = dataEl ? JSON.parse(dataEl.textContent) : {};
  function $(id) { return document.getElementById(id); }
  function load() { try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; } }
  function save(c) { localStorage.setItem(KEY, JSON.stringify(c)); render(); }
  // The page carries protocol::format_money's style for the store's language ("€3.60", "3,60 €").
  var ms = body.dataset;
  function money(m) {
    var d = +(ms.moneyDigits || 2), neg = m < 0, a = Math.abs(m), div = Math.pow(10, d);
    var num = String(Math.floor(a / div)) + (d ? (ms.moneyDecimal || '.') + String(a % div).padStart(d, '0') : '');
    var sym = ms.moneySymbol || cur, word = sym === cur;
    var out = ms.moneyAfter === '1' ? num + '\u00a0' + sym : sym + (word ? '\u00a0' : '') + num;
    return (neg ? '-' : '') + out;
  }
  function count(c) { var n = 0; for (var k in c) n += c[k]; return n; }
  // Cart keys: "product" or "product|group/option;group/option" (one line per choice of options).
  function pid(key) { return key.split('|')[0]; }
  function opts(key) { var i = key.indexOf('|'); return i < 0 ? '' : key.slice(i + 1); }
  function add(key) { var c = load(); c[key] = Math.min(99, (c[key] || 0) + 1); save(c); }
  function setQty(id, q) { var c = load(); if (q <= 0) delete c[id]; else c[id] = Math.min(99, q); save(c); }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  // Names and an estimate of the unit price (the hub prices the order itself); null when an
  // option is no longer offered.
  function describe(p, key) {
    var names = [], unit = p.price, chosen = opts(key);
    if (!chosen) return { names: names, unit: unit };
    var parts = chosen.split(';');
    for (var i = 0; i < parts.length; i++) {
      var go = parts[i].split('/'), found = null;
      (p.groups || []).forEach(function (g) { if (g.id === go[0]) g.options.forEach(function (o) { if (o.id === go[1]) found = o; }); });
      if (!found) return null;
      names.push(found.name); unit += found.d;
    }
    return { names: names, unit: unit };
  }

  function render() {
    var c = load();
    if ($('cart-count')) $('cart-count').textContent = count(c);
    var box = $('cart-lines');
    if (!box) return;
    box.textContent = '';
    var total = 0, items = [];
    var list = el('ul', 'list-group mb-2');
    Object.keys(c).forEach(function (key) {
      var p = products[pid(key)], d = p && describe(p, key);
      if (!d) return;  // no longer on sale
      items.push(pid(key) + ':' + c[key] + (opts(key) ? ':' + opts(key) : ''));
      total += d.unit * c[key];
      var li = el('li', 'list-group-item d-flex align-items-center gap-2');
      li.dataset.id = pid(key);
      var name = el('span', 'flex-grow-1', p.name);
      if (d.names.length) { name.appendChild(document.createElement('br')); name.appendChild(el('small', 'text-muted line-options', d.names.join(', '))); }
      li.appendChild(name);
      var minus = el('button', 'btn btn-sm btn-outline-secondary minus', '−'); minus.type = 'button';
      minus.addEventListener('click', function () { setQty(key, c[key] - 1); });
      var plus = el('button', 'btn btn-sm btn-outline-secondary plus', '+'); plus.type = 'button';
      plus.addEventListener('click', function () { setQty(key, c[key] + 1); });
      li.appendChild(minus); li.appendChild(el('span', 'qty', String(c[key]))); li.appendChild(plus);
      li.appendChild(el('span', 'ms-2 text-nowrap', money(d.unit * c[key])));
      list.appendChild(li);
    });
    if (!items.length) { box.appendChild(el('p', '', 'Your cart is empty.')); }
    else { box.appendChild(list); box.appendChild(el('p', 'fw-bold text-end', 'Total about ' + money(total))); }
    if ($('cart-field')) $('cart-field').value = items.join(',');
    if ($('place')) $('place').disabled = !items.length;
    var qr = $('cart-qr');  // the hub draws protocol's cart code for these lines
    if (qr) {
      var src = items.length ? '/s/' + encodeURIComponent(slug) + '/cart-qr.svg?cart=' + encodeURIComponent(items.join(',')) : '';
      if (src && qr.getAttribute('src') !== src) qr.setAttribute('src', src);
      $('cart-qr-box').classList.toggle('d-none', !items.length);
    }
  }

  // The product page's chosen options as a cart key, or an error message naming the group.
  function chosenKey(id) {
    var parts = [], err = '';
    document.querySelectorAll('#product-options fieldset.option-group').forEach(function (fs) {
      var picked = fs.querySelectorAll('input:checked'), min = +fs.dataset.min, max = +fs.dataset.max;
      if (!err && picked.length < min) err = fs.dataset.name + ': choose ' + (min === max ? min : 'at least ' + min) + '.';
      if (!err && picked.length > max) err = fs.dataset.name + ': at most ' + max + '.';
      picked.forEach(function (i) { parts.push(fs.dataset.group + '/' + i.value); });
    });
    return err ? { error: err } : { key: parts.length ? id + '|' + parts.join(';') : id };
  }
  document.addEventListener('change', function (e) {
    var fs = e.target.closest('#product-options fieldset.option-group');
    if (!fs || e.target.type !== 'checkbox') return;
    var max = +fs.dataset.max;
    if (fs.querySelectorAll('input:checked').length > max) e.target.checked = false;
    if ($('options-error')) $('options-error').textContent = '';
  });

  document.addEventListener('click', function (e) {
    var b = e.target.closest('button.add');
    if (!b) return;
    var key = b.dataset.id;
    if ($('product-options')) {
      var k = chosenKey(b.dataset.id);
      if (k.error) { $('options-error').textContent = k.error; return; }
      key = k.key;
      $('options-error').textContent = '';
    }
    add(key);
    b.textContent = 'Added ✓';
    setTimeout(function () { b.textContent = b.classList.contains('w-100') ? 'Add to cart' : 'Add'; }, 900);
  });
  window.addEventListener('storage', function (e) { if (e.key === KEY) render(); });

  // ?type= and ?table= from a QR code are remembered for the checkout.
  var ctx = $('shop-context');
  if (ctx && (ctx.dataset.table || ctx.dataset.type))
    sessionStorage.setItem(CTX, JSON.stringify({ table: ctx.dataset.table, type: ctx.dataset.type }));
  var form = $('checkout');
  if (form) {
    try {
      var k = JSON.parse(sessionStorage.getItem(CTX)) || {};
      if (k.table) $('table').value = k.table;
      if (k.type && form.type.querySelector('option[value="' + k.type.replace(/[^a-z_]/g, '') + '"]')) form.type.value = k.type;
    } catch (e) {}
    form.addEventListener('submit', function () { sessionStorage.setItem('kh-pending', form.order_id.value); });
    // Only the fields of the chosen order type are shown (table, pickup slot, address).
    var showFor = function () {
      form.querySelectorAll('[data-for]').forEach(function (d) { d.classList.toggle('d-none', d.dataset.for !== form.type.value); });
    };
    form.type.addEventListener('change', showFor);
    showFor();
  }
  var page = document.querySelector('.product-page');
  if (page && page.dataset.autoadd === '1' && products[page.dataset.id] && products[page.dataset.id].available && !products[page.dataset.id].groups) {
    // One tap from a product's QR code: added once per visit (a reload does not add again).
    var seen = 'kh-added-' + page.dataset.id;
    if (!sessionStorage.getItem(seen)) { sessionStorage.setItem(seen, '1'); add(page.dataset.id); }
  }

  var tr = $('tracking');
  if (tr) {
    var oid = tr.dataset.events.split('/')[4];
    if (sessionStorage.getItem('kh-pending') === oid) { localStorage.removeItem(KEY); sessionStorage.removeItem('kh-pending'); }
    var finals = { collected: 1, delivered: 1, cancelled: 1, refunded: 1 };
    if (!finals[tr.dataset.state] && window.EventSource) {
      var es = new EventSource(tr.dataset.events);
      es.addEventListener('status', function (e) {
        var s = JSON.parse(e.data);
        $('order-state').textContent = s.label;
        $('order-eta').textContent = s.eta;
        tr.dataset.state = s.state;
        if (s.state !== 'pending_payment' && $('pay-due')) $('pay-due').classList.add('d-none');
        if (s.feedback && $('feedback')) $('feedback').classList.remove('d-none');
        if (finals[s.state]) es.close();
      });
    }
  }
  render();
})();
)js";
}

}  // namespace kh::hub::web
