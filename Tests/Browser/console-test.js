// Drives the OrleansMq console in the system's headless Chromium; started by ConsoleBrowserTests.cs, which prepares the
// data (topic, lagging consumer group, a dead letter) and reacts to the STEP lines printed here.
// Protocol on stdout: "STEP <name>" after each stage, "SCREENSHOT <path>", "RESENT <id>", and "PASS" at the end;
// any failure prints "FAIL <reason>" and exits with 1.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const env = name => {
  const value = process.env[name];
  if (!value) { throw new Error(`environment variable ${name} is not set`); }
  return value;
};

const baseUrl = env('ORLEANSMQ_CONSOLE_URL');
const shots = env('ORLEANSMQ_SCREENSHOTS');
const topic = env('ORLEANSMQ_TOPIC');
const group = env('ORLEANSMQ_GROUP');
const expectedLag = env('ORLEANSMQ_EXPECTED_LAG');
const xssKey = env('ORLEANSMQ_XSS_KEY');
const xssBody = env('ORLEANSMQ_XSS_BODY');
const chromiumPath = process.env.ORLEANSMQ_CHROMIUM || '/usr/bin/chromium';
const timeout = 30000;

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'orleansmq-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(timeout);
    page.on('pageerror', e => problems.push('page error: ' + e.message));
    // API errors (409 on a duplicate topic) are expected and shown on the page; anything else logged is a bug.
    page.on('console', m => { if (m.type() === 'error' && !(m.location().url || '').includes('/api/')) problems.push('console error: ' + m.text() + ' at ' + m.location().url); });
    page.on('dialog', d => { problems.push('unexpected dialog: ' + d.message()); d.dismiss(); });
    let n = 0;
    const shot = async name => {
      const file = path.join(shots, `${String(++n).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log('SCREENSHOT ' + file);
    };
    const step = name => console.log('STEP ' + name);
    const go = async hash => { await page.goto(`${baseUrl}/console/#${hash}`); };

    // Cluster: the broker is listed as alive, and the page has no accessibility basics missing.
    await go('cluster');
    await page.locator('[data-testid=broker-row]').first().waitFor();
    const status = await page.locator('[data-testid=broker-row] .badge').first().textContent();
    if (status !== 'alive') throw new Error(`broker status is '${status}', expected 'alive'`);
    if (await page.locator('html[lang]').count() !== 1) throw new Error('the page has no lang attribute');
    await page.waitForFunction(() => document.querySelector('[data-testid=rate-in] .value').textContent !== '–');
    await shot('cluster');
    step('cluster');

    // Topics: the topic produced through the SDK is listed.
    await go('topics');
    await page.locator(`tr[data-topic="${topic}"]`).waitFor();
    await shot('topics');
    step('topic-listed');
    await page.locator(`tr[data-topic="${topic}"] a`).click();
    await page.locator('[data-testid=queue-row]').first().waitFor();
    await shot('topic');
    step('topic-detail');

    // Consumer group: lag as produced, then falling to zero once the test lets the consumer go.
    await go('group=' + encodeURIComponent(group));
    await page.locator(`[data-testid=group-total-lag][data-value="${expectedLag}"]`).waitFor();
    await page.locator('[data-testid=member-row]').first().waitFor();
    await shot('group-lagging');
    step('lag-visible');
    await page.locator('[data-testid=group-total-lag][data-value="0"]').waitFor({ timeout: 60000 });
    await page.locator('[data-testid=chart][data-last="0"] polyline').waitFor(); // The sampled history saw it too.
    await shot('group-caught-up');
    step('lag-zero');

    // Dead letters: the dead-lettered message is listed; resend it from the page.
    await go('dlq=' + encodeURIComponent(group));
    const row = page.locator('[data-testid=message-row]').first();
    await row.waitFor();
    await row.locator('button[data-action=show]').click();
    await page.locator('[data-testid=message-body]').waitFor();
    await shot('dead-letters');
    await row.locator('[data-testid=resend]').click();
    const result = page.locator('[data-testid=resend-result]');
    await result.waitFor();
    const resent = /as ([0-9A-F]{32})\./.exec(await result.textContent());
    if (!resent) throw new Error('unexpected resend result: ' + await result.textContent());
    console.log('RESENT ' + resent[1]);
    await shot('resent');
    step('resent');

    // Message lookup by key; a body and key made of markup must show as text and never run.
    await go('messages');
    await page.locator('[data-testid=search-mode]').selectOption('key');
    await page.locator('[data-testid=search-topic]').fill(topic);
    await page.locator('[data-testid=search-value]').fill(xssKey);
    await page.getByRole('button', { name: 'Search' }).click();
    const found = page.locator('[data-testid=message-row]').first();
    await found.waitFor();
    await found.locator('button[data-action=show]').click();
    const body = await page.locator('[data-testid=message-body]').textContent();
    if (body !== xssBody) throw new Error(`body shown as '${body}', expected the literal text '${xssBody}'`);
    const injected = await page.evaluate(() => ({ flag: window.__orleansmqXss === 1, images: document.querySelectorAll('main img').length }));
    if (injected.flag || injected.images !== 0) throw new Error('user data was rendered as markup: ' + JSON.stringify(injected));
    await shot('message-lookup');
    step('lookup');

    // Create a topic with the form, then grow it.
    const created = topic + '-ui';
    await go('topics');
    await page.locator('[data-testid=create-topic-name]').fill(created);
    await page.locator('form[aria-label="Create a topic"] input[name=queueCount]').fill('2');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.waitForURL(new RegExp('#topic=' + created));
    await page.locator('[data-testid=queue-row]').nth(1).waitFor();
    await page.locator('[data-testid=update-queue-count]').fill('5');
    await page.getByRole('button', { name: 'Update topic' }).click();
    await page.locator('[data-testid=queue-row]').nth(4).waitFor();
    await shot('topic-grown');
    step('topic-grown');

    // Errors from the API are shown: creating it again is refused.
    await go('topics');
    await page.locator('[data-testid=create-topic-name]').fill(created);
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.locator('#error:not([hidden])').waitFor();
    const error = await page.locator('#error').textContent();
    if (!error.includes('already exists')) throw new Error('unexpected error text: ' + error);
    for (let i = 0; i < 2; i++) { // Two live refreshes: an action's error must stay until the next action.
      const before = await page.locator('#updated').textContent();
      await page.waitForFunction(b => document.getElementById('updated').textContent !== b, before);
    }
    if (await page.locator('#error').isHidden()) throw new Error('the error disappeared on the next refresh');
    await shot('error-shown');
    step('error-shown');

    if (problems.length > 0) throw new Error(problems.join('; '));
    console.log('PASS');
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.log('FAIL ' + (e && e.message ? e.message.split('\n')[0] : String(e)));
  process.exit(1);
});
