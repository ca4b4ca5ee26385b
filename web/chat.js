// The chat page: a multi-turn conversation with the server's own /v1/chat/completions, streamed
// (stream: true, the SSE body read from fetch). Stop aborts the fetch; the server notices the
// closed connection at its next write and frees the sequence. The conversation and the settings
// are kept in localStorage, so a reload shows the same chat.
import { renderMarkdown } from './markdown.js';

const $ = (id) => document.getElementById(id);
const SETTINGS_KEY = 'gemma3.chat.settings';
const CHAT_KEY = 'gemma3.chat.messages';

// Gemma 3's recommended sampling; every field may be emptied to use the server's default.
const DEFAULTS = {
  system: '', temperature: '1', top_p: '0.95', top_k: '64', min_p: '', max_tokens: '1024', seed: '',
  presence_penalty: '', frequency_penalty: '', api_key: '', tools: '',
};
const NUMBER_FIELDS = { temperature: 'float', top_p: 'float', top_k: 'int', min_p: 'float', max_tokens: 'int',
                        seed: 'int', presence_penalty: 'float', frequency_penalty: 'float' };

const ui = {
  messages: $('messages'), empty: $('empty'), prompt: $('prompt'), send: $('send'), composer: $('composer'),
  banner: $('banner'), model: $('model'), settings: $('settings'),
};

let settings = load(SETTINGS_KEY, DEFAULTS);
let chat = load(CHAT_KEY, []);   // [{role: 'user'|'assistant', content, tool_calls?, stats?, stopped?}]
let inflight = null;             // {controller} while a reply streams

function load(key, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(key));
    if (Array.isArray(fallback)) return Array.isArray(value) ? value.filter(validMessage) : [];
    return { ...fallback, ...(value && typeof value === 'object' ? value : {}) };
  } catch {
    return Array.isArray(fallback) ? [] : { ...fallback };
  }
}

function validMessage(m) {
  return m && (m.role === 'user' || m.role === 'assistant') && typeof m.content === 'string' &&
    (m.tool_calls === undefined || Array.isArray(m.tool_calls));
}

// The Tools setting: a JSON array of OpenAI tools, sent with every request; undefined when empty.
// Throws with a message when it is not such an array.
function toolsSetting() {
  const raw = String(settings.tools ?? '').trim();
  if (!raw) return undefined;
  let tools;
  try {
    tools = JSON.parse(raw);
  } catch (e) {
    throw new Error(`the Tools setting is not valid JSON (${e.message})`);
  }
  if (!Array.isArray(tools)) throw new Error('the Tools setting must be a JSON array of tools');
  return tools;
}

function save() {
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
    localStorage.setItem(CHAT_KEY, JSON.stringify(chat));
  } catch { /* storage full or disabled: the page still works, it just forgets on reload */ }
}

// ---------------------------------------------------------------------------------------------
// Rendering

// `auth`: the banner is about the API key, so a key that works clears it.
// Counts banner changes, so a slow /v1/models answer (showModel) cannot overwrite a message that
// was shown after it was asked, such as a failed request's.
let bannerVersion = 0;

function showBanner(text, auth = false) {
  ++bannerVersion;
  ui.banner.textContent = text;
  ui.banner.hidden = !text;
  ui.banner.dataset.auth = auth ? '1' : '';
}

function nearBottom() {
  const m = ui.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80;
}

function scrollToBottom() { ui.messages.scrollTop = ui.messages.scrollHeight; }

function formatStats(s) {
  if (!s) return '';
  const parts = [];
  if (s.tokens !== undefined) parts.push(`${s.approximate ? '≈' : ''}${s.tokens} tokens`);
  if (s.tokensPerSecond) parts.push(`${s.tokensPerSecond.toFixed(1)} tok/s`);
  if (s.ttftMs !== undefined) parts.push(`first token ${Math.round(s.ttftMs)} ms`);
  if (s.finish === 'length') parts.push('stopped at max tokens');   // 'stop' is the normal end: unsaid
  return parts.join(' · ');
}

function messageView(message) {
  const el = document.createElement('article');
  el.className = `msg ${message.role}`;
  const body = document.createElement('div');
  body.className = 'body';
  const foot = document.createElement('div');
  foot.className = 'stats';
  el.append(body, foot);
  const view = { el, body, foot, pending: false };
  paint(view, message);
  return view;
}

// A tool call as such: the function's name and its arguments (pretty-printed when they are JSON),
// never the model's raw call syntax. Built with textContent only: arguments are model output.
function toolCallView(call) {
  const box = document.createElement('div');
  box.className = 'tool-call';
  const name = document.createElement('div');
  name.className = 'tool-name';
  name.textContent = `Call ${call.function?.name ?? '?'}`;
  const args = document.createElement('pre');
  const raw = call.function?.arguments ?? '';
  try {
    args.textContent = JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    args.textContent = raw;   // still streaming, or not JSON
  }
  box.append(name, args);
  return box;
}

function paint(view, message) {
  if (message.role === 'user') {
    view.body.textContent = message.content;   // the user's own text, shown as typed
  } else {
    view.body.innerHTML = renderMarkdown(message.content);
    for (const call of message.tool_calls ?? []) view.body.append(toolCallView(call));
  }
  let foot = formatStats(message.stats);
  if (message.stopped) foot = foot ? `${foot} · stopped` : 'stopped';
  view.foot.textContent = foot;
  view.foot.hidden = !foot;
}

// Streaming repaints at most once per frame, however fast the deltas arrive.
function schedulePaint(view, message) {
  if (view.pending) return;
  view.pending = true;
  requestAnimationFrame(() => {
    view.pending = false;
    const stick = nearBottom();
    paint(view, message);
    if (stick) scrollToBottom();
  });
}

function renderAll() {
  ui.messages.replaceChildren(ui.empty);
  ui.empty.hidden = chat.length > 0;
  for (const m of chat) ui.messages.append(messageView(m).el);
  scrollToBottom();
}

function setBusy(busy) {
  ui.send.textContent = busy ? 'Stop' : 'Send';
  ui.send.classList.toggle('stop', busy);
  ui.send.setAttribute('aria-label', busy ? 'Stop the reply' : 'Send');
  document.body.classList.toggle('busy', busy);
}

// ---------------------------------------------------------------------------------------------
// Talking to the server

function headers() {
  const h = { 'content-type': 'application/json' };
  if (settings.api_key.trim()) h.authorization = `Bearer ${settings.api_key.trim()}`;
  return h;
}

function numberSetting(name) {
  const raw = String(settings[name] ?? '').trim();
  if (!raw) return undefined;
  const value = NUMBER_FIELDS[name] === 'int' ? Number.parseInt(raw, 10) : Number.parseFloat(raw);
  return Number.isFinite(value) ? value : undefined;
}

function requestBody(history) {
  const messages = [];
  if (settings.system.trim()) messages.push({ role: 'system', content: settings.system });
  for (const m of history) {
    if (m.tool_calls?.length) messages.push({ role: m.role, content: m.content || null, tool_calls: m.tool_calls });
    else messages.push({ role: m.role, content: m.content });
  }
  const body = { messages, stream: true, stream_options: { include_usage: true } };
  const tools = toolsSetting();
  if (tools) body.tools = tools;
  for (const name of Object.keys(NUMBER_FIELDS)) {
    const value = numberSetting(name);
    if (value !== undefined) body[name] = value;
  }
  return body;
}

async function errorMessage(res) {
  let message = `${res.status} ${res.statusText}`;
  try {
    const json = await res.json();
    if (json?.error?.message) message = json.error.message;
  } catch { /* not JSON */ }
  if (res.status === 401) message += ' Set the API key under Settings.';
  return message;
}

// Yields the data of each server-sent event ("data: ..." lines), until the body ends.
async function* sseData(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
      if (data.length) yield data.join('\n');   // comment lines (": keep-alive") carry no data
    }
  }
}

async function send(text) {
  showBanner('');
  const user = { role: 'user', content: text };
  const reply = { role: 'assistant', content: '' };
  let body;
  try {
    body = requestBody([...chat, user]);
  } catch (e) {
    showBanner(`Not sent: ${e.message}. Fix it under Settings.`);
    ui.prompt.value = text;
    return;
  }
  chat.push(user);
  chat.push(reply);
  ui.empty.hidden = true;
  ui.messages.append(messageView(user).el);
  const view = messageView(reply);
  view.el.classList.add('streaming');
  ui.messages.append(view.el);
  scrollToBottom();

  const controller = new AbortController();
  inflight = { controller };
  setBusy(true);
  const t0 = performance.now();
  let tFirst, tLast, deltas = 0, usage = null, finish = null, failure = null;
  const stats = () => {
    const tokens = usage?.completion_tokens ?? deltas;
    const s = { tokens, approximate: !usage };
    if (tFirst !== undefined) s.ttftMs = tFirst - t0;
    // Decode speed: tokens after the first over the time they took (the first waits for prefill).
    if (tokens > 1 && tLast > tFirst) s.tokensPerSecond = (tokens - 1) / ((tLast - tFirst) / 1000);
    if (finish) s.finish = finish;
    return s;
  };
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST', headers: headers(), body: JSON.stringify(body), signal: controller.signal });
    if (!res.ok) throw new Error(await errorMessage(res));
    for await (const data of sseData(res.body)) {
      if (data === '[DONE]') break;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message ?? 'the server ended the reply');
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices ?? []) {
        const piece = choice.delta?.content;
        if (piece) {
          tLast = performance.now();
          if (tFirst === undefined) tFirst = tLast;
          reply.content += piece;
          ++deltas;
        }
        // Tool calls stream as OpenAI's do: id, type and name in a call's first delta, then the
        // arguments in fragments, each delta naming its call by index.
        for (const d of choice.delta?.tool_calls ?? []) {
          tLast = performance.now();
          if (tFirst === undefined) tFirst = tLast;
          reply.tool_calls ??= [];
          const call = (reply.tool_calls[d.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
          if (d.id) call.id = d.id;
          if (d.function?.name) call.function.name += d.function.name;
          if (d.function?.arguments) call.function.arguments += d.function.arguments;
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      reply.stats = stats();
      schedulePaint(view, reply);
    }
    reply.stats = stats();
  } catch (e) {
    if (e.name === 'AbortError') {
      reply.stopped = true;
      reply.stats = stats();
    } else {
      failure = e.message || String(e);
    }
  } finally {
    inflight = null;
    setBusy(false);
    view.el.classList.remove('streaming');
  }
  if (failure && !reply.content && !reply.tool_calls?.length) {
    // Nothing came back: take the turn out again and give the text back for a retry.
    chat.splice(chat.length - 2, 2);
    view.el.previousElementSibling?.remove();
    view.el.remove();
    ui.empty.hidden = chat.length > 0;
    if (!ui.prompt.value) ui.prompt.value = text;
    const auth = /API key/.test(failure);
    showBanner(`The request failed: ${failure}`, auth);
    if (auth) openSettings('api_key');
  } else if (failure) {
    showBanner(`The reply was cut off: ${failure}`);
  }
  paint(view, reply);
  save();
  autosize();
}

async function showModel() {
  const asked = bannerVersion;
  try {
    const res = await fetch('/v1/models', { headers: headers() });
    const bannerUnchanged = bannerVersion === asked;
    if (res.status === 401) {
      ui.model.textContent = '';
      if (bannerUnchanged) showBanner('This server needs an API key: set it under Settings.', true);
      return;
    }
    const json = await res.json();
    ui.model.textContent = json?.data?.[0]?.id ?? '';
    if (bannerUnchanged && ui.banner.dataset.auth) showBanner('');
  } catch {
    ui.model.textContent = '';
  }
}

// ---------------------------------------------------------------------------------------------
// Settings dialog

function openSettings(focusId) {
  for (const name of Object.keys(DEFAULTS)) $(name).value = settings[name] ?? '';
  if (!ui.settings.open) ui.settings.showModal();
  if (focusId) $(focusId).focus();
}

function readSettings() {
  for (const name of Object.keys(DEFAULTS)) settings[name] = $(name).value;
  save();
}

$('settings-button').addEventListener('click', () => openSettings());
$('settings-form').addEventListener('input', readSettings);
ui.settings.addEventListener('close', () => {
  readSettings();
  showModel();
  ui.prompt.focus();
});
ui.settings.addEventListener('click', (e) => {
  if (e.target === ui.settings) ui.settings.close();   // a click on the backdrop
});
$('settings-reset').addEventListener('click', () => {
  const key = settings.api_key;   // a reset of the sampling should not log the user out
  settings = { ...DEFAULTS, api_key: key };
  openSettings();
  save();
});

// ---------------------------------------------------------------------------------------------
// Composer and the rest

function autosize() {
  ui.prompt.style.height = 'auto';
  ui.prompt.style.height = `${Math.min(ui.prompt.scrollHeight, window.innerHeight * 0.4)}px`;
}

ui.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  if (inflight) {
    inflight.controller.abort();
    return;
  }
  const text = ui.prompt.value.trim();
  if (!text) return;
  ui.prompt.value = '';
  autosize();
  send(text);
});

ui.prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !inflight) {
    e.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.prompt.addEventListener('input', autosize);

$('new-chat').addEventListener('click', () => {
  inflight?.controller.abort();
  chat = [];
  save();
  renderAll();
  showBanner('');
  ui.prompt.focus();
});

ui.messages.addEventListener('click', async (e) => {
  const button = e.target.closest('button.copy');
  if (!button) return;
  const code = button.closest('.code')?.querySelector('code')?.textContent ?? '';
  try {
    await navigator.clipboard.writeText(code);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed';
  }
  setTimeout(() => { button.textContent = 'Copy'; }, 1500);
});

// The chat is saved after each finished turn; never resume with a question left unanswered.
const last = chat[chat.length - 1];
if (last?.role === 'user') chat.pop();
renderAll();
showModel();
ui.prompt.focus();
