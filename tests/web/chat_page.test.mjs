// The chat page end to end, in a real browser: Debian's headless Chromium driven by npm
// playwright-core (pinned in package.json; it drives the system browser, nothing is downloaded),
// against the REAL `gemma3 serve` on a synthetic tiny checkpoint (random weights, the real Gemma 3
// tokenizer), run with --api-key so the page's key field is exercised.
//
// It checks: the page and its files as served (types, cache headers, 304s, 404 JSON), the key
// prompt, a reply streaming in, Stop in the middle of a long reply freeing the sequence on the
// server (gemma3_requests_running back to 0), a second turn carrying the first exchange and the
// settings, a reload keeping the conversation, Markdown rendering with hostile content in the live
// page, and a phone-sized layout. Screenshots: $GEMMA3_ARTIFACTS/chat_page*.png (desktop, mid-stream,
// Markdown, dark theme, phone, phone settings).
//
// Run: GEMMA3_BIN=build/gemma3 node --test tests/web/chat_page.test.mjs   (CTest: web_chat_page)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startServer } from '../server/server_harness.mjs';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('tests/web/node_modules is missing (or broken): run `npm ci --prefix tests/web` ' +
                '(tools/install_deps.sh does). ' + e.message);
  process.exit(1);
}

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (tools/install_deps.sh does)`);
  process.exit(1);
}
const ARTIFACTS = process.env.GEMMA3_ARTIFACTS || path.resolve('artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

const API_KEY = 'web-e2e-key';
const MODEL = 'tiny-web';
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'gemma3-web-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server, context, page;
const pageErrors = [];
const consoleErrors = [];

async function metric(name) {
  const text = await (await fetch(`${server.base}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

before(async () => {
  server = await startServer('web', ['--api-key', API_KEY, '--model-name', MODEL], { seed: 1 });
  // A persistent context is how Playwright takes a fresh --user-data-dir (it may not be in args).
  context = await chromium.launchPersistentContext(path.join(WORK, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,   // --headless
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => { pageErrors.push(e.message); });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
});

after(async () => {
  await context?.close();
  await server?.stop();
  fs.rmSync(WORK, { recursive: true, force: true });
});

// Opens the settings dialog, fills the given fields (id -> value), and closes it with Done.
async function setSettings(values) {
  await page.click('#settings-button');
  await page.locator('#settings').waitFor({ state: 'visible' });
  for (const [id, value] of Object.entries(values)) await page.fill(`#${id}`, String(value));
  await page.click('#settings-close');
  await page.locator('#settings').waitFor({ state: 'hidden' });
}

/** Types `text`, sends it with Enter, and returns the JSON body of the request the page made. */
async function sendMessage(text) {
  const request = page.waitForRequest((r) => r.url().endsWith('/v1/chat/completions') && r.method() === 'POST');
  await page.fill('#prompt', text);
  await page.press('#prompt', 'Enter');
  const r = await request;
  return { body: JSON.parse(r.postData()), headers: r.headers() };
}

const assistantCount = () => page.locator('.msg.assistant').count();
const lastReply = () => page.locator('.msg.assistant').last();
const idle = () => page.waitForFunction(() => document.querySelector('#send').textContent === 'Send' &&
                                              !document.querySelector('.msg.streaming'));

test('the page and its files are served from the binary with types and cache headers', async () => {
  const expected = { '/': 'text/html; charset=utf-8', '/chat.js': 'text/javascript; charset=utf-8',
                     '/markdown.js': 'text/javascript; charset=utf-8', '/chat.css': 'text/css; charset=utf-8',
                     '/favicon.svg': 'image/svg+xml' };
  for (const [p, type] of Object.entries(expected)) {
    const r = await fetch(server.base + p);   // no API key: the page itself is public
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('content-type'), type, p);
    assert.equal(r.headers.get('cache-control'), 'no-cache', p);
    const etag = r.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{20}"$/, p);
    assert.ok((await r.text()).length > 100, p);
    const again = await fetch(server.base + p, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304, p);
    assert.equal(await again.text(), '');
  }
  const html = await (await fetch(server.base + '/')).text();
  assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'the page must not load anything from elsewhere');
  for (const p of ['/v1/nope', '/nope.js', '/chat.js/x']) {
    const r = await fetch(server.base + p, { headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(r.status, 404, p);
    const body = await r.json();
    assert.equal(body.error.code, 'unknown_url', p);
  }
  assert.equal((await fetch(`${server.base}/v1/models`)).status, 401);
});

test('without the key the page says so; with the key from Settings it shows the model', async () => {
  await page.goto(server.base + '/');
  await page.locator('#banner').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#banner'), /API key/);
  // A wrong key: the turn is taken back, the text returned to the composer, the key field opened.
  // Closing Settings also asks /v1/models again; its 401 is held back until the failed chat request
  // has shown its banner, so the test sees that a late answer does not overwrite the newer message
  // (in CI it once arrived last by chance and did).
  // (Held in the page's own fetch: Playwright's request routing would also turn off the HTTP
  // cache, which the reload test below needs.)
  await page.evaluate(() => {
    const realFetch = window.fetch;
    let release;
    const held = new Promise((r) => { release = r; });
    window.__releaseModels = () => { window.fetch = realFetch; release(); };
    window.fetch = async (url, init) => {
      if (String(url).endsWith('/v1/models')) {
        const res = await realFetch(url, init);
        await held;
        return res;
      }
      return realFetch(url, init);
    };
  });
  await setSettings({ api_key: 'wrong-key' });
  await sendMessage('hi there');
  await page.locator('#settings').waitFor({ state: 'visible' });
  await page.evaluate(() => { window.__releaseModels(); return new Promise((r) => setTimeout(r, 50)); });
  assert.match(await page.textContent('#banner'), /request failed: .*API key/);
  assert.equal(await page.inputValue('#prompt'), 'hi there');
  assert.equal(await page.locator('.msg').count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'api_key');
  await page.click('#settings-close');
  await page.fill('#prompt', '');
  await setSettings({ api_key: API_KEY, max_tokens: 24, temperature: 0.8, top_p: 0.9, top_k: 40, seed: 7 });
  await page.waitForFunction((m) => document.querySelector('#model').textContent === m, MODEL);
  assert.equal(await page.locator('#banner').isHidden(), true);
});

test('a message gets a reply that streams in, with tokens/s', async () => {
  // The tiny model writes 24 tokens in a few milliseconds, faster than the page repaints, so the
  // whole reply could land in one frame. Chromium's network throttling (4 KB/s down: the stream's
  // ~5 KB then take over a second) makes the chunks arrive apart, as they do from a real model.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions',
                 { offline: false, latency: 0, downloadThroughput: 4096, uploadThroughput: -1 });
  try {
    await replyStreamsIn();
  } finally {
    await cdp.send('Network.emulateNetworkConditions',
                   { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
  }
});

async function replyStreamsIn() {
  // Record every repaint of the reply, to see it grow in steps rather than arrive at once.
  await page.evaluate(() => {
    window.__lengths = [];
    new MutationObserver(() => {
      const body = document.querySelector('.msg.assistant.streaming .body');
      if (body) window.__lengths.push(body.textContent.length);
    }).observe(document.querySelector('#messages'), { childList: true, subtree: true, characterData: true });
  });
  const { body, headers } = await sendMessage('Hello! Who are you?');
  assert.equal(headers.authorization, `Bearer ${API_KEY}`);
  assert.equal(body.stream, true);
  assert.deepEqual(body.messages, [{ role: 'user', content: 'Hello! Who are you?' }]);
  assert.equal(body.max_tokens, 24);
  assert.equal(body.temperature, 0.8);
  assert.equal(body.top_p, 0.9);
  assert.equal(body.top_k, 40);
  assert.equal(body.seed, 7);
  await idle();
  const reply = lastReply();
  const text = await reply.locator('.body').textContent();
  assert.ok(text.length > 0, 'the reply is empty');
  const stats = await reply.locator('.stats').textContent();
  assert.match(stats, /^24 tokens · [0-9.]+ tok\/s · first token \d+ ms · stopped at max tokens$/);
  const lengths = await page.evaluate(() => window.__lengths);
  const distinct = new Set(lengths.filter((n) => n > 0));
  assert.ok(distinct.size >= 2, `the reply did not stream in (repaint lengths: ${lengths})`);
  assert.equal(await page.locator('.msg.user .body').first().textContent(), 'Hello! Who are you?');
}

test('Stop cancels a long reply mid-way and the server frees the sequence', async () => {
  await setSettings({ max_tokens: 1900 });
  const before = await assistantCount();
  const cancelledBefore = (await metric('gemma3_requests_cancelled_total')) ?? 0;
  await sendMessage('Write a very long story.');
  await page.waitForFunction((n) => {
    const r = document.querySelectorAll('.msg.assistant')[n];
    return r && r.classList.contains('streaming') && r.querySelector('.body').textContent.length > 40;
  }, before);
  assert.ok((await metric('gemma3_requests_running')) >= 1, 'the reply should be running on the server');
  assert.equal(await page.textContent('#send'), 'Stop');
  await page.screenshot({ path: path.join(ARTIFACTS, 'chat_page_streaming.png') });
  const stoppedAt = Date.now();
  await page.click('#send');
  await idle();
  // The server notices the closed connection at its next write (a token, or a keep-alive within
  // a second) and the engine frees the sequence at its next step.
  let running;
  while (Date.now() - stoppedAt < 5000) {
    running = await metric('gemma3_requests_running');
    if (running === 0) break;
    await sleep(20);
  }
  const freedMs = Date.now() - stoppedAt;
  assert.equal(running, 0, `the stopped request still holds a sequence after ${freedMs} ms`);
  console.log(`# stop -> gemma3_requests_running == 0 after ${freedMs} ms`);
  assert.ok(freedMs < 3000, `freeing took ${freedMs} ms`);
  assert.ok((await metric('gemma3_requests_cancelled_total')) > cancelledBefore);
  assert.equal(await metric('gemma3_http_streams_active'), 0);
  const stats = await lastReply().locator('.stats').textContent();
  assert.match(stats, /stopped$/);
  const tokens = Number(stats.match(/(\d+) tokens/)[1]);
  assert.ok(tokens > 0 && tokens < 1900, `stopped after ${tokens} tokens`);
});

test('a second turn carries the first exchange and the system prompt', async () => {
  await page.click('#new-chat');
  assert.equal(await assistantCount(), 0);
  await setSettings({ max_tokens: 12, system: 'You are terse.' });
  await sendMessage('First question');
  await idle();
  const firstReply = await page.evaluate(() => JSON.parse(localStorage.getItem('gemma3.chat.messages'))[1].content);
  assert.ok(firstReply.length > 0);
  const { body } = await sendMessage('Second question');
  assert.deepEqual(body.messages, [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'First question' },
    { role: 'assistant', content: firstReply },
    { role: 'user', content: 'Second question' },
  ]);
  await idle();
  assert.equal(await assistantCount(), 2);
  await page.screenshot({ path: path.join(ARTIFACTS, 'chat_page.png') });
});

test('a reload keeps the conversation and revalidates the files (304)', async () => {
  const before = await page.locator('#messages').innerHTML();
  const statuses = {};
  const onResponse = (r) => { statuses[new URL(r.url()).pathname] = r.status(); };
  page.on('response', onResponse);
  await page.reload();
  await page.waitForFunction((m) => document.querySelector('#model').textContent === m, MODEL);
  page.off('response', onResponse);
  assert.equal(await assistantCount(), 2);
  assert.equal(await page.locator('#messages').innerHTML(), before);
  assert.equal(statuses['/chat.js'], 304, JSON.stringify(statuses));
  assert.equal(statuses['/chat.css'], 304, JSON.stringify(statuses));
});

test('replies render Markdown, and hostile content stays inert in the live page', async () => {
  const reply = [
    '## Plan', '', 'Use **bold**, *italic* and `inline code`, see [the docs](https://example.com/docs).', '',
    '1. First step', '2. Second step', '   - a nested point', '', '```python', 'def hello(name):',
    '    return f"<b>{name}</b>"', '```', '', '> A quote.', '', '| key | value |', '|-----|------:|',
    '| a   | 1     |', '',
    '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> [click](javascript:window.__xss=3)',
  ].join('\n');
  await page.evaluate((content) => {
    localStorage.setItem('gemma3.chat.messages', JSON.stringify([
      { role: 'user', content: 'Show me some formatting <b>please</b>' },
      { role: 'assistant', content, stats: { tokens: 93, tokensPerSecond: 41.5, ttftMs: 12, finish: 'stop' } }]));
  }, reply);
  await page.reload();
  await lastReply().waitFor();
  const body = lastReply().locator('.body');
  assert.equal(await body.locator('h2').textContent(), 'Plan');
  assert.equal(await body.locator('strong').first().textContent(), 'bold');
  assert.equal(await body.locator('pre code.language-python').textContent(),
               'def hello(name):\n    return f"<b>{name}</b>"');
  assert.equal(await body.locator('a[href="https://example.com/docs"]').count(), 1);
  assert.equal(await body.locator('ol > li').count(), 2);
  assert.equal(await body.locator('table td.align-right').textContent(), '1');
  assert.equal(await page.locator('#messages img, #messages script, #messages b').count(), 0);
  assert.equal(await body.locator('a[href^="javascript"]').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('.msg.user .body').textContent(), 'Show me some formatting <b>please</b>');
  await page.screenshot({ path: path.join(ARTIFACTS, 'chat_page_markdown.png') });
  assert.equal(await lastReply().locator('.stats').textContent(), '93 tokens · 41.5 tok/s · first token 12 ms');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(ARTIFACTS, 'chat_page_dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });
});

test('phone-sized screen: no sideways scrolling, composer and settings fit', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await lastReply().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const composer = await page.locator('#composer').boundingBox();
  assert.ok(composer.y + composer.height <= 844 && composer.width <= 390, JSON.stringify(composer));
  const send = await page.locator('#send').boundingBox();
  assert.ok(send.x + send.width <= 390 && send.height >= 40, `send button ${JSON.stringify(send)}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'chat_page_phone.png') });
  await page.click('#settings-button');
  const dialog = await page.locator('#settings').boundingBox();
  assert.ok(dialog.width <= 390 && dialog.x >= 0, JSON.stringify(dialog));
  await page.screenshot({ path: path.join(ARTIFACTS, 'chat_page_phone_settings.png') });
  await page.click('#settings-close');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('the page raised no script errors', () => {
  assert.deepEqual(pageErrors, []);
  // A 401 from /v1/models before the key was set is logged by the browser; nothing else may be.
  assert.deepEqual(consoleErrors.filter((e) => !/401/.test(e)), []);
});
