// Browser test of issue 12's live orders: the dashboard open in one context shows an order placed
// from a phone context within 1 s, with its alert; staff take the cash and move it to ready on the
// board; a counter device's staff action over MQTT (collect with the ticket's payload) moves the
// same card off the board; a staff account runs a second order to collected on the counter view;
// the order page's receipt preview loads; the menu at 390 and 1400 px on every dashboard page. Real Mosquitto, real kioskhub, Debian's chromium via playwright-core.
//   node tests/e2e/live_orders.mjs --bin BUILD/bin --out DIR   (screenshots go to DIR)
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('playwright-core is not installed: run scripts/setup (it runs npm ci in tests/e2e)');
  process.exit(1);
}
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const bin = arg('--bin', 'build/bin');
const out = arg('--out', 'build/e2e');
fs.mkdirSync(out, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-e2e-live-'));
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
  const file = path.join(out, 'live-' + String(step).padStart(2, '0') + '-' + name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot', file);
}
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('ok -', what);
}

let browser;
let failed = false;
try {
  const mqttPort = await freePort();
  fs.writeFileSync(path.join(tmp, 'mosquitto.conf'),
    `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\n` +
    (process.getuid && process.getuid() === 0 ? 'user root\n' : ''));
  start('/usr/sbin/mosquitto', ['-c', path.join(tmp, 'mosquitto.conf')], path.join(out, 'live-mosquitto.log'));
  await waitPort(mqttPort, 10000);
  const httpPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  const dataDir = path.join(tmp, 'hub');
  start(path.join(bin, 'kioskhub'), ['serve', '--data', dataDir, '--mqtt', `tcp://127.0.0.1:${mqttPort}`,
                                     '--http', `127.0.0.1:${httpPort}`, '--public-url', base], path.join(out, 'live-hub.log'));
  await waitPort(httpPort, 15000);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
                                    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'] });

  // The owner registers a café with one product.
  const owner = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await owner.goto(base + '/register');
  await owner.fill('#business_name', 'Live Café');
  await owner.fill('#slug', 'live');
  await owner.check('#always_open');
  await owner.fill('#email', 'owner@live.example');
  await owner.fill('#password', 'a long owner password');
  await owner.click('button[type=submit]');
  await owner.waitForURL(base + '/portal');
  await owner.goto(base + '/portal/products/new');
  await owner.fill('#name', 'Cappuccino');
  await owner.fill('#price', '3.20');
  await owner.click('button[type=submit]');
  await owner.waitForURL(/\/portal\/products\/p-[0-9a-f]+\?saved=1/);
  const productId = owner.url().split('/portal/products/')[1].split('?')[0];
  // A counter device of this business (what enrollment would create).
  const db = path.join(dataDir, 'kioskhub.db');
  const business = execFileSync('/usr/bin/sqlite3', [db, "SELECT id FROM businesses WHERE slug = 'live'"]).toString().trim();
  execFileSync('/usr/bin/sqlite3', ['-cmd', '.timeout 5000', db,
    `INSERT INTO devices(id, business_id, name, mode, created_at_ms) VALUES ('counter-9', '${business}', 'Counter', 'counter', 0)`]);

  // The dashboard, live.
  await owner.goto(base + '/portal/live');
  await owner.waitForFunction(() => document.body.dataset.live === '1', null, { timeout: 10000 });
  await owner.click('#live-sound');  // a user gesture: the tone may play
  check((await owner.textContent('#live-status')).includes('live'), 'the board is connected to its event stream');
  await shot(owner, 'board-empty');

  // A phone orders.
  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  await phone.goto(`${base}/s/live/p/${productId}?add=1`);
  await phone.waitForFunction(() => document.getElementById('cart-count').textContent === '1');
  await phone.goto(base + '/s/live/cart');
  await phone.waitForSelector('#cart-lines li');
  await phone.fill('#name', 'Robin');
  await phone.fill('#phone', '+44 20 7946 0000');
  await phone.click('#place');
  await phone.waitForURL(/\/s\/live\/o\/[0-9a-f-]{36}$/);
  const placedAt = Date.now();
  const orderId = phone.url().split('/o/')[1];
  const number = (await phone.textContent('#order-number')).trim();
  await owner.waitForSelector(`article[data-number="${number}"]`, { timeout: 1000 });
  const shownIn = Date.now() - placedAt;
  check(shownIn <= 1000, `the dashboard shows ${number} within 1 s of the phone's confirmation (${shownIn} ms)`);
  check(await owner.isVisible('#new-order-alert'), 'with a visible new-order alert: ' + (await owner.textContent('#new-order-alert')));
  check(await owner.evaluate(() => document.body.dataset.alerts) === '1', 'one alert for one new order');
  check(Number(await owner.evaluate(() => document.body.dataset.tones || '0')) >= 1, 'and a generated tone (WebAudio)');
  check(await owner.isVisible(`section[data-lane="pending_payment"] article[data-number="${number}"]`), 'in the "To pay" lane');
  await shot(owner, 'board-new-order-alert');

  // Staff take the cash (6.40 due, 10.00 tendered), then preparing, ready: the card moves lanes.
  owner.on('dialog', async (d) => {
    if (d.type() === 'prompt') await d.accept('10.00');
    else { console.log('dialog:', d.message()); await d.accept(); }
  });
  const card = (lane) => `section[data-lane="${lane}"] article[data-number="${number}"]`;
  await owner.click(`${card('pending_payment')} button[data-action="take_cash"]`);
  await owner.waitForSelector(card('paid'), { timeout: 3000 });
  check(true, 'cash taken: the card is in "Paid"');
  await owner.click(`${card('paid')} button[data-action="preparing"]`);
  await owner.waitForSelector(card('preparing'), { timeout: 3000 });
  await owner.click(`${card('preparing')} button[data-action="ready"]`);
  await owner.waitForSelector(card('ready'), { timeout: 3000 });
  check(await owner.isVisible(`${card('ready')} button[data-action="collect"]`), 'ready: the only next steps offered are collect and cancel');
  await shot(owner, 'board-ready');

  // The counter scans the ticket (payload = the order id) and collects over MQTT.
  const env = { v: 1, type: 'order.action', id: crypto.randomUUID(), ts: new Date().toISOString(),
                body: { action_id: crypto.randomUUID(), action: 'collect', ticket: orderId } };
  const sub = spawn('/usr/bin/mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-C', '1', '-W', '10',
                                              '-t', 'kh/v1/d/counter-9/down/order.action.result']);
  let answer = '';
  sub.stdout.on('data', (b) => { answer += b; });
  const subClosed = new Promise((r) => sub.on('close', r));
  await new Promise((r) => setTimeout(r, 300));
  const sentAt = Date.now();
  execFileSync('/usr/bin/mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1',
                                          '-t', 'kh/v1/d/counter-9/up/order.action', '-m', JSON.stringify(env)]);
  await owner.waitForSelector(`article[data-number="${number}"]`, { state: 'detached', timeout: 2000 });
  check(true, `the counter's collect (MQTT) took the card off the open board in ${Date.now() - sentAt} ms`);
  await subClosed;
  const result = JSON.parse(answer);
  check(result.body.ok === true && result.body.state === 'collected', 'the counter got order.action.result collected');
  await shot(owner, 'board-after-counter-collect');

  // The order's detail, with its whole history, and the closed board.
  await owner.goto(`${base}/portal/live/${orderId}`);
  const history = await owner.textContent('#order-history');
  check(history.includes('Counter · counter-9 (counter)') && history.includes('owner@live.example (owner)'),
        'history names the counter (name, id, mode) and the dashboard user (e-mail, role)');
  check(!history.includes('web:owner:') && !history.includes('device:counter-9'), 'not their raw actor ids');
  // The customer's receipt, drawn by the printer renderer: an 80 mm roll is 576 dots wide.
  await owner.waitForFunction(() => { const i = document.querySelector('img.receipt-preview'); return i && i.complete && i.naturalWidth > 0; },
                              null, { timeout: 5000 });
  check(await owner.evaluate(() => document.querySelector('img.receipt-preview').naturalWidth) === 576, 'the receipt preview image loaded (576 dots wide)');
  await shot(owner, 'order-detail');
  await owner.goto(`${base}/portal/live?state=all`);
  await owner.waitForSelector(`section[data-lane="closed"] article[data-number="${number}"]`);
  await shot(owner, 'board-all-states');
  await owner.goto(`${base}/portal/live/${orderId}/print?paper=80mm&noprint=1`);
  await shot(owner, 'kitchen-ticket-80mm');
  await owner.goto(`${base}/portal/live/${orderId}/print?paper=a4&noprint=1`);
  await shot(owner, 'kitchen-ticket-a4');
  // The counter view on a tablet (no open order left: its empty lanes).
  const tablet = await (await browser.newContext({ viewport: { width: 1024, height: 768 }, storageState: await owner.context().storageState() })).newPage();
  await tablet.goto(base + '/portal/counter');
  await tablet.waitForSelector('#lanes section');
  await shot(tablet, 'counter-view-tablet');

  // A staff account runs a second phone order through to collected from the counter view.
  await owner.goto(base + '/portal/staff');
  await owner.fill('input[name=email]', 'staff@live.example');
  await owner.fill('input[name=password]', 'a long staff password');
  await owner.selectOption('select[name=role]', 'staff');
  await owner.click('form[action="/portal/staff"] button');
  await owner.waitForURL(/\/portal\/staff/);
  const staffCtx = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
  const staff = await staffCtx.newPage();
  staff.on('dialog', async (d) => { if (d.type() === 'prompt') await d.accept('10.00'); else await d.accept(); });
  await staff.goto(base + '/login');
  await staff.fill('#email', 'staff@live.example');
  await staff.fill('#password', 'a long staff password');
  await staff.click('button[type=submit]');
  await staff.waitForURL(/\/portal/);
  await staff.goto(base + '/portal/counter');
  await staff.waitForFunction(() => document.body.dataset.live === '1', null, { timeout: 10000 });
  // A second customer's phone (a QR code adds its product once per visit).
  const phone2 = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  await phone2.goto(`${base}/s/live/p/${productId}?add=1`);
  await phone2.waitForFunction(() => document.getElementById('cart-count').textContent === '1');
  await phone2.goto(base + '/s/live/cart');
  await phone2.waitForSelector('#cart-lines li');
  await phone2.fill('#name', 'Sam');
  await phone2.fill('#phone', '+44 20 7946 0001');
  await phone2.click('#place');
  await phone2.waitForURL(/\/s\/live\/o\/[0-9a-f-]{36}$/);
  const second = (await phone2.textContent('#order-number')).trim();
  const secondId = phone2.url().split('/o/')[1];
  const scard = (lane) => `section[data-lane="${lane}"] article[data-number="${second}"]`;
  await staff.waitForSelector(scard('pending_payment'), { timeout: 1000 });
  for (const [from, action, to] of [['pending_payment', 'take_cash', 'paid'], ['paid', 'preparing', 'preparing'], ['preparing', 'ready', 'ready']]) {
    await staff.click(`${scard(from)} button[data-action="${action}"]`);
    await staff.waitForSelector(scard(to), { timeout: 3000 });
  }
  await shot(staff, 'counter-staff-ready');
  await staff.click(`${scard('ready')} button[data-action="collect"]`);
  await staff.waitForSelector(`article[data-number="${second}"]`, { state: 'detached', timeout: 3000 });
  check(true, `staff moved ${second} through to collected on the counter view`);
  await staff.goto(`${base}/portal/live/${secondId}`);
  check((await staff.textContent('#order-state')).trim() === 'Collected', 'its page says Collected');
  check((await staff.textContent('#order-history')).includes('staff@live.example (staff)'), 'and its history names the staff account');

  // The menu at phone and desktop widths on every dashboard page: collapsed behind one button
  // at 390 px, one line (log out included) at 1400 px.
  for (const width of [390, 1400]) {
    const ctx = await browser.newContext({ viewport: { width, height: 900 }, storageState: await owner.context().storageState() });
    const pg = await ctx.newPage();
    for (const p of ['/portal/live', '/portal/counter', `/portal/live/${orderId}`, '/portal/reports', '/portal/devices', '/portal/feedback', '/portal/support']) {
      await pg.goto(base + p);
      const nav = await pg.evaluate(() => {
        const n = document.querySelector('nav.portal-nav');
        const out = document.querySelector('nav.portal-nav form[action="/logout"] button');
        const brand = document.querySelector('nav.portal-nav .navbar-brand');
        const r = out.getBoundingClientRect(), b = brand.getBoundingClientRect();
        return { h: n.getBoundingClientRect().height, outVisible: r.width > 0, outH: r.height, sameLine: Math.abs(r.top - b.top) < 20,
                 scroll: document.documentElement.scrollWidth - window.innerWidth };
      });
      check(nav.h < 70, `${p} at ${width} px: the menu bar is one line (${Math.round(nav.h)} px)`);
      check(nav.scroll <= 0, `${p} at ${width} px: no sideways scrolling`);
      if (p === `/portal/live/${orderId}`) {
        // The history table fits too (its wrapper would scroll it sideways, not the page).
        const h = await pg.evaluate(() => { const t = document.querySelector('#order-history').parentElement; return t.scrollWidth - t.clientWidth; });
        check(h <= 0, `the order's history at ${width} px fits without scrolling sideways (${h} px over)`);
      }
      if (width === 1400) check(nav.outVisible && nav.sameLine && nav.outH < 40, `${p} at 1400 px: log out sits on the bar, unwrapped`);
      else check(!nav.outVisible, `${p} at 390 px: the links wait behind the Menu button`);
      await shot(pg, `nav-${width}-${p.split('/').filter(Boolean).slice(1, 2).join('') || 'home'}`);
    }
    if (width === 390) {
      await pg.goto(base + '/portal/live');
      await pg.click('nav.portal-nav .navbar-toggler');
      await pg.waitForSelector('#portal-menu.show', { timeout: 3000 });
      check(await pg.isVisible('nav.portal-nav a[href="/portal/reports"]'), 'at 390 px the Menu button opens the links');
      await shot(pg, 'nav-390-open');
    }
    await ctx.close();
  }
  console.log('e2e live orders: passed');
} catch (e) {
  failed = true;
  console.error('e2e live orders FAILED:', e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const c of children.reverse()) c.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
