// Browser test of issue 11's "done when": an owner registers, sets up the store, adds a product
// with an image, downloads its QR code; the QR (decoded by zbar) opens the product on a phone-
// sized page, which orders and pays at the counter; staff marks it ready on the plain orders
// page; the phone's tracking page follows without a reload; the customer leaves feedback. Then a
// table QR's eat-in order and a pickup-slot order, checked in the hub's database.
// Real Mosquitto, real kioskhub, Debian's chromium driven by playwright-core.
//   node tests/e2e/shop_flow.mjs --bin BUILD/bin --out DIR   (screenshots go to DIR)
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('playwright-core is not installed: run scripts/setup (it runs npm ci in tests/e2e)');
  process.exit(1);
}

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const bin = arg('--bin', 'build/bin');
const out = arg('--out', 'build/e2e');
fs.mkdirSync(out, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-e2e-'));
const children = [];
let step = 0;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}
function waitPort(port, ms) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const c = net.connect(port, '127.0.0.1');
      c.on('connect', () => { c.destroy(); resolve(); });
      c.on('error', () => { if (Date.now() > until) reject(new Error('port ' + port + ' never opened')); else setTimeout(tryOnce, 100); });
    };
    tryOnce();
  });
}
function start(cmd, args, log) {
  const p = spawn(cmd, args, { stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')] });
  children.push(p);
  return p;
}
async function shot(page, name) {
  step += 1;
  const file = path.join(out, String(step).padStart(2, '0') + '-' + name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot', file);
}
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('ok -', what);
}

// A 640×480 PNG photo stand-in (gradient), made here so the test needs no binary fixture.
function makePng(w, h) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / w; raw[o + 1] = (y * 255) / h; raw[o + 2] = 120;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
                        chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

let browser;
let failed = false;
try {
  // 1. Broker and hub.
  const mqttPort = await freePort();
  fs.writeFileSync(path.join(tmp, 'mosquitto.conf'),
    `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\n` +
    (process.getuid && process.getuid() === 0 ? 'user root\n' : ''));
  start('/usr/sbin/mosquitto', ['-c', path.join(tmp, 'mosquitto.conf')], path.join(out, 'mosquitto.log'));
  await waitPort(mqttPort, 10000);
  const httpPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  start(path.join(bin, 'kioskhub'), ['serve', '--data', path.join(tmp, 'hub'), '--mqtt', `tcp://127.0.0.1:${mqttPort}`,
                                     '--http', `127.0.0.1:${httpPort}`, '--public-url', base], path.join(out, 'hub.log'));
  await waitPort(httpPort, 15000);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });

  // 2. The owner registers and sets up the store.
  const owner = await (await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } })).newPage();
  // Every console error on the owner's pages (a CSP-blocked inline style, a pattern Chromium's
  // v-mode regex rejects) is a defect.
  const consoleErrors = [];
  owner.on('console', (m) => {
    const where = (m.location() && m.location().url) || '';
    if (m.type() === 'error' && !where.endsWith('/favicon.ico')) consoleErrors.push(owner.url() + ': ' + m.text() + ' ' + where);
  });
  await owner.goto(base + '/register');
  await shot(owner, 'register');
  await owner.fill('#business_name', 'Corner Café');
  await owner.fill('#slug', 'corner');
  await owner.check('#always_open');
  await owner.fill('#email', 'owner@corner.example');
  await owner.fill('#password', 'a long owner password');
  await owner.click('button[type=submit]');
  await owner.waitForURL(base + '/portal');
  check((await owner.textContent('h1')).includes('Corner Café'), 'registered and signed in');
  await owner.goto(base + '/portal/store');
  await owner.fill('#about', 'Fresh coffee since this morning.');
  // The store profile: its IANA zone (from tzdata), pickup later with 15-minute slots, eat-in
  // with table numbers, a banner.
  await owner.selectOption('#time_zone', 'Europe/Paris');
  await owner.check('#type_pickup');
  await owner.fill('#pickup_slot_minutes', '15');
  await owner.fill('#pickup_lead_minutes', '0');
  await owner.check('#type_eat_in');
  await owner.check('#eat_in_tables');
  await owner.fill('#banner', 'Pastries until noon');
  await shot(owner, 'store-settings');
  await owner.click('button[type=submit]');
  await owner.waitForURL(/saved=1/);
  check((await owner.inputValue('#time_zone')) === 'Europe/Paris', 'the store keeps its IANA time zone');
  check(await owner.isChecked('#type_pickup'), 'pickup is offered');
  await shot(owner, 'store-setup');

  // 3. A product with an image.
  await owner.goto(base + '/portal/products/new');
  await owner.fill('#name', 'Flat white');
  await owner.fill('#price', '3.40');
  await owner.fill('#description', 'Double ristretto, steamed milk');
  await owner.fill('#stock', '20');
  await owner.click('button[type=submit]');
  await owner.waitForURL(/\/portal\/products\/p-[0-9a-f]+\?saved=1/);
  const productUrl = owner.url().split('?')[0];
  const pngFile = path.join(tmp, 'flat-white.png');
  fs.writeFileSync(pngFile, makePng(640, 480));
  await owner.setInputFiles('input[name=image]', pngFile);
  await owner.click('text=Upload image');
  await owner.waitForURL(/saved=image/);
  check(await owner.isVisible('img.thumb-lg'), 'image uploaded and shown re-encoded');
  await shot(owner, 'product-with-image');

  // 3b. A product with options: size, choose one, Large costs 0.50 more.
  await owner.goto(base + '/portal/products/new');
  await owner.fill('#name', 'Latte');
  await owner.fill('#price', '3.00');
  await owner.click('button[type=submit]');
  await owner.waitForURL(/\/portal\/products\/p-[0-9a-f]+\?saved=1/);
  await owner.fill('input[name=g0_name]', 'Size');
  await owner.fill('input[name=g0_min]', '1');
  await owner.fill('input[name=g0_max]', '1');
  await owner.fill('input[name=g0_o0_name]', 'Regular');
  await owner.check('input[name=g0_o0_default]');
  await owner.fill('input[name=g0_o1_name]', 'Large');
  await owner.fill('input[name=g0_o1_delta]', '0.50');
  await owner.click('#options-form button[type=submit]');
  await owner.waitForURL(/saved=options/);
  check((await owner.inputValue('input[name=g0_o1_name]')) === 'Large', 'options saved in the editor');
  await shot(owner, 'product-options');
  await owner.goto(productUrl);

  // 4. Download its QR code and decode it with zbar.
  const [download] = await Promise.all([owner.waitForEvent('download'), owner.click('text=QR code (PNG)')]);
  const qrFile = path.join(out, 'product-qr.png');
  await download.saveAs(qrFile);
  const qrUrl = execFileSync('/usr/bin/zbarimg', ['--quiet', '--raw', qrFile]).toString().trim();
  check(qrUrl.startsWith(base + '/s/corner/p/p-') && qrUrl.endsWith('?add=1'), 'QR decodes to the product URL: ' + qrUrl);
  await owner.goto(base + '/portal/qr');
  await shot(owner, 'qr-sheet');

  for (const pg of ['/portal/products', '/portal/categories', '/portal/staff', '/portal/store']) await owner.goto(base + pg);
  await owner.goto(productUrl);
  check(consoleErrors.length === 0, 'no console errors (CSP, form patterns) on the owner pages: ' + JSON.stringify(consoleErrors));

  // 5. A phone opens the QR's URL, orders with pay-at-counter.
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const phone = await phoneCtx.newPage();
  await phone.goto(qrUrl);
  await phone.waitForFunction(() => document.getElementById('cart-count').textContent === '1');
  check(true, 'one tap from the QR code put the product in the cart');
  await shot(phone, 'phone-product');
  await phone.goto(base + '/s/corner');
  await shot(phone, 'phone-shop');
  // Options: the shop says "Choose"; the product page offers the sizes, Regular preselected.
  await phone.click('a.choose');
  await phone.waitForSelector('#product-options fieldset');
  check(await phone.isChecked('#opt-size-regular'), 'the preselected option starts chosen');
  await phone.click('label[for=opt-size-large]');
  await shot(phone, 'phone-product-options');
  await phone.click('button.add');
  await phone.waitForFunction(() => document.getElementById('cart-count').textContent === '2');
  check(true, 'latte with its option added to the cart');
  // The cart survives a page load and is shared with a second tab.
  const tab2 = await phoneCtx.newPage();
  await tab2.goto(base + '/s/corner/cart');
  await tab2.waitForSelector('#cart-lines li');
  check((await tab2.textContent('#cart-lines')).includes('Flat white'), 'cart kept across page loads and tabs');
  check((await tab2.textContent('#cart-lines')).includes('Large'), 'the cart line shows its option');
  await tab2.click('#cart-lines li .plus');
  await tab2.selectOption('#type', 'takeaway');  // eat-in now asks for a table (the settings above)
  await tab2.fill('#name', 'Robin');
  await tab2.fill('#phone', '+44 20 7946 0000');
  await shot(tab2, 'phone-checkout');
  await tab2.click('#place');
  await tab2.waitForURL(/\/s\/corner\/o\/[0-9a-f-]{36}$/);
  const orderNumber = (await tab2.textContent('#order-number')).trim();
  check(/^A-\d{3}$/.test(orderNumber), 'confirmation shows the order number ' + orderNumber);
  check((await tab2.textContent('#tracking')).includes('\u20ac10.30'), 'two flat whites and a large latte priced by the hub');
  check((await tab2.textContent('#tracking')).includes('Large'), 'the confirmation lists the chosen option');
  await shot(tab2, 'phone-confirmation');

  // 6. Staff marks it paid, preparing, ready; the phone follows without a reload.
  await owner.goto(base + '/portal/staff');
  await owner.fill('input[name=email]', 'sam@corner.example');
  await owner.fill('input[name=password]', 'a long staff password');
  await owner.click('text=Add account');
  const staff = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
  await staff.goto(base + '/login');
  await staff.fill('#email', 'sam@corner.example');
  await staff.fill('#password', 'a long staff password');
  await staff.click('button[type=submit]');
  await staff.waitForURL(base + '/portal');
  await staff.goto(base + '/portal/orders');
  await shot(staff, 'staff-orders');
  let navigations = 0;
  tab2.on('framenavigated', (f) => { if (f === tab2.mainFrame()) navigations += 1; });
  for (const to of ['paid', 'preparing', 'ready']) {
    await staff.click(`button[data-to=${to}]`);
    await staff.waitForURL(base + '/portal/orders');
  }
  await tab2.waitForFunction(() => document.getElementById('order-state').textContent === 'ready', null, { timeout: 15000 });
  check(navigations === 0, 'tracking page shows "ready" without a reload');
  await shot(tab2, 'phone-ready');
  await staff.click('button[data-to=collected]');
  await staff.waitForURL(base + '/portal/orders');
  await tab2.waitForSelector('#feedback:not(.d-none)', { timeout: 15000 });
  check(navigations === 0, 'feedback form appears once collected, still without a reload');

  // 7. Feedback.
  await tab2.check('input[name=rating][value="5"]');
  await tab2.fill('textarea[name=comment]', 'Lovely, thanks!');
  await tab2.click('text=Send feedback');
  await tab2.waitForSelector('#thanks');
  await shot(tab2, 'phone-feedback');

  // 8. A table QR (?type=eat_in&table=12) and a pickup slot: the orders the hub stores carry them.
  const dbFile = path.join(tmp, 'hub', 'kioskhub.db');
  const stored = (oid) => execFileSync('/usr/bin/sqlite3', ['-readonly', dbFile,
    `SELECT o.order_type || '|' || d.table_number || '|' || COALESCE(d.pickup_at_ms, '') FROM orders o JOIN order_details d ON d.order_id = o.id WHERE o.id = '${oid}'`]).toString().trim();
  const tableCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const seat = await tableCtx.newPage();
  await seat.goto(base + '/s/corner?type=eat_in&table=12');
  await seat.click('button.add');
  await seat.waitForFunction(() => document.getElementById('cart-count').textContent === '1');
  await seat.goto(base + '/s/corner/cart');
  await seat.waitForSelector('#cart-lines li');
  check((await seat.inputValue('#type')) === 'eat_in', 'the table QR chose eat-in');
  check((await seat.inputValue('#table')) === '12', 'the table number came from the QR');
  check(await seat.isVisible('#cart-qr'), 'the cart page shows the cart as a QR code for a kiosk');
  await seat.waitForFunction(() => { const i = document.getElementById('cart-qr'); return i.complete && i.naturalWidth > 0; });
  await shot(seat, 'phone-cart-table-and-qr');
  await seat.fill('#name', 'Table twelve');
  await seat.click('#place');
  await seat.waitForURL(/\/s\/corner\/o\/[0-9a-f-]{36}$/);
  const eatId = seat.url().split('/').pop();
  check(stored(eatId) === 'eat_in|12|', 'the stored eat-in order carries table 12: ' + stored(eatId));

  await seat.goto(base + '/s/corner/p/' + productUrl.split('/').pop() + '?add=1');
  await seat.waitForFunction(() => document.getElementById('cart-count').textContent === '1');
  await seat.goto(base + '/s/corner/cart');
  await seat.waitForSelector('#cart-lines li');
  await seat.selectOption('#type', 'pickup');
  check(await seat.isVisible('#pickup_at'), 'pickup shows the slot list');
  const slots = await seat.$$eval('#pickup_at option', (os) => os.map((o) => ({ v: o.value, l: o.textContent })));
  check(slots.length >= 2 && slots[1].v, 'the store offers pickup slots: ' + slots.length);
  await seat.selectOption('#pickup_at', slots[1].v);
  await seat.fill('#name', 'Later please');
  await shot(seat, 'phone-pickup-slot');
  await seat.click('#place');
  await seat.waitForURL(/\/s\/corner\/o\/[0-9a-f-]{36}$/);
  const pickId = seat.url().split('/').pop();
  const wantMs = String(Date.parse(slots[1].v));
  check(stored(pickId) === 'pickup||' + wantMs, 'the stored pickup order carries the chosen slot ' + slots[1].v + ': ' + stored(pickId));
  await shot(seat, 'phone-pickup-confirmation');
  console.log('e2e shop flow: passed');
} catch (e) {
  failed = true;
  console.error('e2e shop flow FAILED:', e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const c of children.reverse()) c.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
