// Two `gemma3 serve` replicas behind a real nginx, configured exactly as docs/DEPLOYMENT.md says:
// the njs key script and the nginx site are read from that file's code blocks, and only the replica
// addresses, the listen port and two paths are changed. Driven with the official OpenAI client
// (pinned in package.json): sticky routing by conversation, prefix-cache hits on one replica only,
// X-Session-Affinity pinning, round robin without a key, failover when a replica is killed in the
// middle of a stream, and the conversations going back once it returns.
//
// Run: GEMMA3_BIN=build/gemma3 node --test tests/deploy/deploy.test.mjs   (CTest: deploy_nginx)
// Needs nginx and libnginx-mod-http-js (tools/install_deps.sh) and `npm ci` in tests/deploy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let OpenAI;
try {
  ({ default: OpenAI } = await import('openai'));
} catch (e) {
  console.error('tests/deploy/node_modules is missing: run `npm ci --prefix tests/deploy` (tools/install_deps.sh does). ' +
                e.message);
  process.exit(1);
}

const BIN = process.env.GEMMA3_BIN;
const NGINX = process.env.NGINX_BIN || '/usr/sbin/nginx';
const NJS_MODULE = process.env.NGINX_JS_MODULE || '/usr/lib/nginx/modules/ngx_http_js_module.so';
for (const [what, file] of [['GEMMA3_BIN (the built gemma3)', BIN], ['nginx (apt-get install nginx)', NGINX],
                            ['the njs module (apt-get install libnginx-mod-http-js)', NJS_MODULE]]) {
  if (!file || !fs.existsSync(file)) {
    console.error(`missing ${what}: '${file ?? ''}'`);
    process.exit(1);
  }
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DOC = path.join(HERE, '..', '..', 'docs', 'DEPLOYMENT.md');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'gemma3-deploy-'));
fs.chmodSync(WORK, 0o755);  // nginx workers drop root privileges and must reach their temp dirs
const CKPT = path.join(WORK, 'tiny');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Every child is killed however the test ends (assertion, exception, signal).

const children = new Set();
function killAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(1); });

function track(proc) {
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  return proc;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// ---------------------------------------------------------------------------------------------
// Replicas

async function startReplica(name, port = 0) {
  const proc = track(spawn(BIN, ['serve', '-m', CKPT, '--port', String(port), '-t', '1', '--replica-name', name,
                                 '--model-name', 'tiny', '--quiet'],
                          { stdio: ['ignore', 'ignore', 'pipe'] }));
  let log = '';
  const bound = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${name} did not start:\n${log}`)), 30000);
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`replica ${name} exited (${code}):\n${log}`)); });
  });
  const base = `http://127.0.0.1:${bound}`;
  for (const deadline = Date.now() + 60000; ;) {
    const r = await fetch(`${base}/health`);
    await r.arrayBuffer();
    if (r.status === 200) break;
    assert.equal(r.status, 503, 'a loading replica answers 503 on /health');
    if (Date.now() > deadline) throw new Error(`replica ${name} never became ready:\n${log}`);
    await sleep(20);
  }
  return { name, proc, port: bound, base, log: () => log };
}

async function prefixHits(replica) {
  const text = await (await fetch(`${replica.base}/metrics`)).text();
  const m = text.match(/^gemma3_prefix_cache_hits_total (\S+)$/m);
  assert.ok(m, `no gemma3_prefix_cache_hits_total in ${replica.name}'s /metrics`);
  return Number(m[1]);
}

// ---------------------------------------------------------------------------------------------
// nginx, from the documentation's own code blocks

/** The fenced block of `lang` whose first line names `file`, exactly as printed in the doc. */
function docBlock(markdown, lang, file) {
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  for (const m of markdown.matchAll(re)) {
    if (m[1].split('\n')[0].includes(file)) return m[1];
  }
  throw new Error(`docs/DEPLOYMENT.md has no \`\`\`${lang} block starting with a comment naming ${file}`);
}

/** Replaces `from` (which must occur exactly once) by `to`: a doc that drifted fails loudly. */
function replaceOnce(text, from, to) {
  const n = text.split(from).length - 1;
  assert.equal(n, 1, `expected exactly one '${from}' in the documented nginx config, found ${n}`);
  return text.replace(from, to);
}

async function startNginx(replicas) {
  const markdown = fs.readFileSync(DOC, 'utf8');
  const njsDir = path.join(WORK, 'njs');
  fs.mkdirSync(njsDir, { recursive: true });
  fs.writeFileSync(path.join(njsDir, 'gemma3_affinity.js'), docBlock(markdown, 'js', '/etc/nginx/njs/gemma3_affinity.js'));
  let site = docBlock(markdown, 'nginx', '/etc/nginx/conf.d/gemma3.conf');
  const port = await freePort();
  site = replaceOnce(site, 'js_path "/etc/nginx/njs/";', `js_path "${njsDir}/";`);
  site = replaceOnce(site, 'server 10.0.0.11:8080 ', `server 127.0.0.1:${replicas[0].port} `);
  site = replaceOnce(site, 'server 10.0.0.12:8080 ', `server 127.0.0.1:${replicas[1].port} `);
  site = replaceOnce(site, 'listen 8000;', `listen 127.0.0.1:${port};`);
  site = replaceOnce(site, '/var/log/nginx/gemma3.access.log', path.join(WORK, 'access.log'));
  fs.writeFileSync(path.join(WORK, 'gemma3.conf'), site);
  // The top level Debian's /etc/nginx/nginx.conf would provide, with every path in WORK.
  const temp = (name) => path.join(WORK, name);
  fs.writeFileSync(path.join(WORK, 'nginx.conf'), [
    `load_module ${NJS_MODULE};`,
    'daemon off;',
    'worker_processes 1;',
    `pid ${temp('nginx.pid')};`,
    `error_log ${temp('error.log')} info;`,
    'events { worker_connections 512; }',
    'http {',
    `  client_body_temp_path ${temp('client_body')};`,
    `  proxy_temp_path ${temp('proxy')};`,
    `  fastcgi_temp_path ${temp('fastcgi')};`,
    `  uwsgi_temp_path ${temp('uwsgi')};`,
    `  scgi_temp_path ${temp('scgi')};`,
    `  include ${temp('gemma3.conf')};`,
    '}',
    ''].join('\n'));
  const check = spawnSync(NGINX, ['-t', '-p', WORK, '-e', temp('error.log'), '-c', temp('nginx.conf')], { encoding: 'utf8' });
  assert.equal(check.status, 0, `nginx -t rejected the documented config:\n${check.stderr}`);

  const proc = track(spawn(NGINX, ['-p', WORK, '-e', temp('error.log'), '-c', temp('nginx.conf')],
                           { stdio: ['ignore', 'ignore', 'pipe'] }));
  let log = '';
  proc.stderr.on('data', (d) => { log += d.toString(); });
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 15000; ;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}):\n${log}\n${readLog('error.log')}`);
    try {
      const r = await fetch(`${base}/health`);
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`nginx did not answer:\n${log}\n${readLog('error.log')}`);
    await sleep(50);
  }
  return { proc, port, base };
}

function readLog(name) {
  try { return fs.readFileSync(path.join(WORK, name), 'utf8'); } catch { return ''; }
}

// ---------------------------------------------------------------------------------------------
// Chats through the balancer

let replicas, balancer, client;
const byName = (name) => replicas.find((r) => r.name === name);

before(async () => {
  const synth = spawnSync(BIN, ['synth', '--preset', 'tiny', '--seed', '1', '-o', CKPT], { encoding: 'utf8' });
  assert.equal(synth.status, 0, `gemma3 synth failed: ${synth.stderr}`);
  replicas = await Promise.all([startReplica('a'), startReplica('b')]);
  balancer = await startNginx(replicas);
  // maxRetries 0: every failover below is nginx's doing, not the client's.
  client = new OpenAI({ apiKey: 'unused', baseURL: `${balancer.base}/v1`, maxRetries: 0, timeout: 60000 });
});

after(async () => {
  for (const c of [...children]) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((resolve) => c.on('exit', resolve));
    c.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
  }
  killAll();
  if (process.env.GEMMA3_KEEP_WORK) {
    console.error(`kept ${WORK}`);
  } else {
    fs.rmSync(WORK, { recursive: true, force: true });
  }
});

// <eos> (1) and <end_of_turn> (106) banned, so random weights never end a stream early.
const NO_EOS = { 1: -100, 106: -100 };

function conversation(i) {
  return [{ role: 'system', content: 'You are a terse assistant.' },
          { role: 'user', content: `Conversation ${i}: tell me about the number ${i * 7919}.` }];
}

/** One streaming chat turn; resolves to the replica that answered, the text and the finish reason. */
async function streamTurn(messages, { maxTokens = 8, headers } = {}) {
  const { data: stream, response } = await client.chat.completions
    .create({ model: 'tiny', messages, stream: true, max_tokens: maxTokens, temperature: 0, logit_bias: NO_EOS },
            headers ? { headers } : undefined)
    .withResponse();
  let text = '', finish = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      text += c.delta?.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { replica: response.headers.get('x-gemma3-replica'), text, finish };
}

/** Turn 1, the model's answer, then turn 2 of the same conversation. */
async function twoTurns(i) {
  const first = await streamTurn(conversation(i));
  assert.equal(first.finish, 'length');
  const second = await streamTurn([...conversation(i), { role: 'assistant', content: first.text },
                                   { role: 'user', content: 'And then?' }]);
  assert.equal(second.finish, 'length');
  return [first.replica, second.replica];
}

const home = new Map();  // conversation index -> replica name, as first observed

test('every turn of a conversation lands on one replica, and only its prefix cache is hit', async () => {
  for (let i = 0; i < 12; ++i) {
    const before = await Promise.all(replicas.map(prefixHits));
    const [r1, r2] = await twoTurns(i);
    const after = await Promise.all(replicas.map(prefixHits));
    assert.ok(r1 === 'a' || r1 === 'b', `X-Gemma3-Replica missing or unknown: ${r1}`);
    assert.equal(r2, r1, `conversation ${i}: turn 2 went to ${r2}, turn 1 to ${r1}`);
    home.set(i, r1);
    for (const [k, r] of replicas.entries()) {
      const grew = after[k] - before[k];
      if (r.name === r1) {
        assert.ok(grew > 0, `conversation ${i}: turn 2 on ${r.name} reused no cached prefix`);
      } else {
        assert.equal(grew, 0, `conversation ${i}: prefix hits grew on ${r.name}, which served none of it`);
      }
    }
  }
  const counts = [...home.values()].reduce((m, r) => ({ ...m, [r]: (m[r] ?? 0) + 1 }), {});
  assert.ok(counts.a > 0 && counts.b > 0, `12 conversations should spread over both replicas: ${JSON.stringify(counts)}`);
  // Asked again, in another order: the same homes.
  for (const i of [11, 3, 7, 0]) assert.equal((await streamTurn(conversation(i))).replica, home.get(i));
});

test('X-Session-Affinity pins different conversations together; no key means round robin', async () => {
  const pinned = new Set();
  for (let i = 100; i < 106; ++i) {
    pinned.add((await streamTurn(conversation(i), { headers: { 'X-Session-Affinity': 'user-42' } })).replica);
  }
  assert.equal(pinned.size, 1, `one affinity key went to ${[...pinned]}`);

  const seen = new Set();
  for (let i = 0; i < 6; ++i) {
    const { response } = await client.models.list().withResponse();
    seen.add(response.headers.get('x-gemma3-replica'));
  }
  assert.deepEqual([...seen].sort(), ['a', 'b'], 'GET /v1/models (no key) should reach both replicas');
});

test('a replica killed mid-stream: new requests, its conversations included, succeed on the other', async () => {
  const victimName = home.get(0);
  const victim = byName(victimName);
  const survivorName = victimName === 'a' ? 'b' : 'a';
  const survivor = byName(survivorName);

  // A long stream on the victim, killed after its first token.
  const { data: stream, response } = await client.chat.completions
    .create({ model: 'tiny', messages: conversation(0), stream: true, max_tokens: 1900, temperature: 0, logit_bias: NO_EOS })
    .withResponse();
  assert.equal(response.headers.get('x-gemma3-replica'), victimName);
  let chunks = 0, finish = null, streamError = null;
  try {
    for await (const chunk of stream) {
      if (++chunks === 1) victim.proc.kill('SIGKILL');
      for (const c of chunk.choices) if (c.finish_reason) finish = c.finish_reason;
    }
  } catch (e) {
    streamError = e;
  }
  assert.ok(streamError !== null || finish === null,
            'the stream that was running on the killed replica cannot end normally');
  assert.notEqual(finish, 'length');
  await new Promise((resolve) => (victim.proc.exitCode !== null || victim.proc.signalCode !== null
    ? resolve() : victim.proc.on('exit', resolve)));

  // Every conversation, the victim's included, is answered at once, by the survivor.
  for (const i of home.keys()) {
    const r = await streamTurn(conversation(i));
    assert.equal(r.finish, 'length', `conversation ${i} after the kill`);
    assert.equal(r.replica, survivorName, `conversation ${i} after the kill`);
  }
  // Concurrent streams too.
  const results = await Promise.all([...Array(8).keys()].map((k) => streamTurn(conversation(200 + k))));
  for (const r of results) assert.deepEqual([r.replica, r.finish], [survivorName, 'length']);
  // The survivor kept its own conversations' cache warm: turn 2 there still hits.
  const mine = [...home].find(([, r]) => r === survivorName)[0];
  const hits = await prefixHits(survivor);
  await twoTurns(mine);
  assert.ok(await prefixHits(survivor) > hits);

  // The victim comes back on its port; after fail_timeout (10 s) nginx tries it again and its
  // conversations return to it.
  const revived = await startReplica(victimName, victim.port);
  replicas[replicas.indexOf(victim)] = revived;
  const deadline = Date.now() + 30000;
  for (;;) {
    const r = await streamTurn(conversation(0));
    assert.equal(r.finish, 'length');
    if (r.replica === victimName) break;
    assert.ok(Date.now() < deadline, 'the restarted replica never got its conversations back');
    await sleep(500);
  }
  for (const [i, r] of home) assert.equal((await streamTurn(conversation(i))).replica, r, `conversation ${i} went home`);
  const access = readLog('access.log');
  assert.match(access, /key=[0-9a-f]{40} upstream=127\.0\.0\.1:\d+/, 'the access log names the key and the replica');
});
