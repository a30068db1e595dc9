// Browser test of issue 12's reports and support: a phone orders, staff take the cash; the
// owner's reports page draws its charts (desktop and 390 px phone); the customer reports a
// problem from the tracking page, staff answer it from the inbox, the customer sees the answer.
// Real Mosquitto, real kioskhub, Debian's chromium driven by playwright-core.
//   node tests/e2e/dashboard_flow.mjs --bin BUILD/bin --out DIR   (screenshots go to DIR)
import { spawn } from 'node:child_process';
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

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const bin = arg('--bin', 'build/bin');
const out = arg('--out', 'build/e2e-dashboard');
fs.mkdirSync(out, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-e2e-dash-'));
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

let browser;
let failed = false;
try {
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
  const errors = [];

  // The owner registers, adds two products and a staff account.
  const ownerCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const owner = await ownerCtx.newPage();
  owner.on('console', (m) => { if (m.type() === 'error') errors.push(owner.url() + ': ' + m.text()); });
  await owner.goto(base + '/register');
  await owner.fill('#business_name', 'Harbour Bakery');
  await owner.fill('#slug', 'harbour');
  await owner.check('#always_open');
  await owner.fill('#email', 'owner@harbour.example');
  await owner.fill('#password', 'a long owner password');
  await owner.click('button[type=submit]');
  await owner.waitForURL(base + '/portal');
  for (const [name, price] of [['Cinnamon bun', '3.20'], ['Sourdough loaf', '5.50']]) {
    await owner.goto(base + '/portal/products/new');
    await owner.fill('#name', name);
    await owner.fill('#price', price);
    await owner.click('button[type=submit]');
    await owner.waitForURL(/saved=1/);
  }
  await owner.goto(base + '/portal/staff');
  await owner.fill('input[name=email]', 'kim@harbour.example');
  await owner.fill('input[name=password]', 'a long staff password');
  await owner.click('text=Add account');

  // A phone orders two things, pay at the counter.
  const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const phone = await phoneCtx.newPage();
  phone.on('console', (m) => { if (m.type() === 'error') errors.push(phone.url() + ': ' + m.text()); });
  await phone.goto(base + '/s/harbour');
  for (const b of await phone.$$('button.add')) await b.click();
  await phone.goto(base + '/s/harbour/cart');
  await phone.waitForSelector('#cart-lines li');
  await phone.fill('#name', 'Noor');
  await phone.click('#place');
  await phone.waitForURL(/\/s\/harbour\/o\/[0-9a-f-]{36}$/);
  const trackUrl = phone.url();
  const number = (await phone.textContent('#order-number')).trim();

  // Staff take the cash (pending → paid), so it counts as a sale.
  const staff = await (await browser.newContext({ viewport: { width: 1100, height: 850 } })).newPage();
  staff.on('console', (m) => { if (m.type() === 'error') errors.push(staff.url() + ': ' + m.text()); });
  await staff.goto(base + '/login');
  await staff.fill('#email', 'kim@harbour.example');
  await staff.fill('#password', 'a long staff password');
  await staff.click('button[type=submit]');
  await staff.waitForURL(base + '/portal');
  await staff.goto(base + '/portal/orders');
  await staff.click('button[data-to=paid]');
  await staff.waitForURL(base + '/portal/orders');

  // Reports: every chart drawn, the figures in the summary, on a desktop and on a phone.
  await owner.goto(base + '/portal/reports');
  const charts = await owner.$$eval('svg.chart', (s) => s.length);
  check(charts === 9, `reports page draws 9 charts (got ${charts})`);
  const bars = await owner.$$eval('svg.chart rect.bar', (r) => r.filter((x) => x.getBBox().height > 0 && x.getBBox().width > 0).length);
  check(bars >= 4, `charts have visible bars (${bars})`);
  const revenue = (await owner.textContent('[data-figure=revenue]')).trim();
  check(revenue === '\u20ac8.70', 'summary revenue is the paid order, as the store writes money: ' + revenue);
  check((await owner.textContent('[data-figure=orders]')).trim() === '1', 'one sale');
  const tables = await owner.$$eval('table[data-report]', (t) => t.length);
  check(tables === 9, 'a table beside each chart');
  await shot(owner, 'reports-desktop');
  const [csv] = await Promise.all([owner.waitForEvent('download'), owner.click('#r-best_sellers a:has-text("CSV")')]);
  const csvFile = path.join(out, 'best_sellers.csv');
  await csv.saveAs(csvFile);
  const csvText = fs.readFileSync(csvFile, 'utf8');
  check(csvText.includes('Cinnamon bun,1,3.20') && csvText.includes('Sourdough loaf,1,5.50'), 'best sellers CSV downloaded');
  const ownerPhone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2,
                                                       storageState: await ownerCtx.storageState() })).newPage();
  await ownerPhone.goto(base + '/portal/reports');
  const overflow = await ownerPhone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `reports fit a 390 px screen without sideways scrolling (${overflow} px)`);
  await shot(ownerPhone, 'reports-phone');
  await ownerPhone.locator('#r-sales').screenshot({ path: path.join(out, 'reports-phone-sales.png') });
  await ownerPhone.locator('#r-best_sellers').screenshot({ path: path.join(out, 'reports-phone-best-sellers.png') });
  await ownerPhone.locator('#r-heatmap').screenshot({ path: path.join(out, 'reports-phone-heatmap.png') });
  await owner.goto(base + '/portal/devices');
  await shot(owner, 'devices');

  // Support: phone → inbox → reply → phone.
  await phone.goto(trackUrl);
  await phone.click('#support summary');
  await phone.selectOption('#support-category', 'missing_item');
  await phone.fill('#support-message', 'The loaf was not in the bag.');
  await shot(phone, 'support-form');
  await phone.click('#support-form button[type=submit]');
  await phone.waitForSelector('#support-thread .from-customer');
  check((await phone.textContent('#support-status')).trim() === 'open', 'ticket open, thread on the tracking page');
  await shot(phone, 'support-sent');

  await staff.goto(base + '/portal/support');
  const row = staff.locator('#support-inbox tbody tr', { hasText: 'The loaf was not in the bag.' });
  check(await row.count() === 1, 'the ticket is in the staff inbox');
  await shot(staff, 'support-inbox');
  await row.locator('a').click();
  await staff.waitForSelector('#reply');
  check((await staff.textContent('h1')).includes(number), 'the thread names the order ' + number);
  await staff.fill('#reply', 'So sorry, Noor! Come by and we will hand you a fresh loaf.');
  await staff.click('#reply-form button[type=submit]');
  await staff.waitForURL(/saved=reply/);
  check((await staff.textContent('#ticket-status')).trim() === 'answered', 'answered');
  await shot(staff, 'support-thread');

  await phone.reload();
  await phone.waitForSelector('#support-thread .from-staff');
  check((await phone.textContent('#support-thread')).includes('fresh loaf'), 'the customer sees the reply on the tracking page');
  check((await phone.textContent('#support-status')).trim() === 'answered', 'status answered on the phone');
  await shot(phone, 'support-answered');
    // Only this pages are held to it here (the portal's older forms have inline styles).
  const mine = errors.filter((e) => /\/portal\/(reports|support|devices)|\/s\/harbour\/o\//.test(e.split(': ')[0]));
  if (errors.length) console.log('console errors on other pages:\n  ' + errors.join('\n  '));
  check(mine.length === 0, 'no console errors (CSP violations included) on the reports, devices, support and tracking pages: ' + mine.join(' | '));
  console.log('e2e dashboard flow: passed');
} catch (e) {
  failed = true;
  console.error('e2e dashboard flow FAILED:', e && e.stack ? e.stack : e);
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const c of children.reverse()) c.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
