// The chat page's Markdown renderer (web/markdown.js), in plain Node: what it renders, and that
// nothing a model writes can become markup of its own (script, attributes, unsafe links).
// Run: node --test tests/web/markdown.test.mjs   (CTest: web_markdown)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// web/ has no package.json, so Node would take markdown.js for CommonJS: load it as a module by URL.
const here = path.dirname(fileURLToPath(import.meta.url));
const source = fs.readFileSync(path.join(here, '../../web/markdown.js'), 'utf8');
const { renderMarkdown, escapeHtml, safeHref } =
  await import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'));

// The tags the renderer may emit, with the only attributes it may put on them.
const ALLOWED = {
  p: [], br: [], h1: [], h2: [], h3: [], h4: [], h5: [], h6: [], ul: [], ol: ['start'], li: [], strong: [],
  em: [], del: [], code: ['class'], pre: [], blockquote: [], hr: [], table: [], thead: [], tbody: [], tr: [],
  th: ['class'], td: ['class'], a: ['href', 'target', 'rel'], div: ['class'], span: ['class'],
  button: ['type', 'class', 'aria-label'],
};

/** Fails unless every tag in `html` is an allowed one with allowed attributes and safe values. */
function assertOnlyOwnMarkup(html, input) {
  const tag = /<\/?([a-zA-Z0-9]+)((?:\s+[a-z-]+="[^"]*")*)\s*>/g;
  let m, rest = html;
  while ((m = tag.exec(html))) {
    const name = m[1].toLowerCase();
    assert.ok(name in ALLOWED, `tag <${name}> from ${JSON.stringify(input)}:\n${html}`);
    for (const a of m[2].matchAll(/([a-z-]+)="([^"]*)"/g)) {
      assert.ok(ALLOWED[name].includes(a[1]), `attribute ${a[1]} on <${name}> from ${JSON.stringify(input)}`);
      if (a[1] === 'href') assert.match(a[2], /^(https?:\/\/|mailto:)/i, `href ${a[2]}`);
    }
  }
  rest = html.replace(tag, '');
  // Outside our tags, no raw '<', '>' or '"' is left: everything else is text.
  assert.ok(!/[<>"]/.test(rest), `raw markup characters survived from ${JSON.stringify(input)}:\n${html}`);
}

test('escapeHtml escapes the five HTML specials', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`),
               '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

test('inline spans: bold, italic, strikethrough, code, links', () => {
  assert.equal(renderMarkdown('**b** *i* _u_ ~~s~~ `c`'),
               '<p><strong>b</strong> <em>i</em> <em>u</em> <del>s</del> <code>c</code></p>');
  assert.equal(renderMarkdown('***both***'), '<p><strong><em>both</em></strong></p>');
  assert.equal(renderMarkdown('snake_case_name and 2 * 3 * 4'), '<p>snake_case_name and 2 * 3 * 4</p>');
  assert.equal(renderMarkdown('`**not bold**`'), '<p><code>**not bold**</code></p>');
  assert.equal(renderMarkdown('[site](https://example.com/a?b=1&c=2)'),
               '<p><a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">site</a></p>');
  assert.equal(renderMarkdown('see https://example.org/x.'),
               '<p>see <a href="https://example.org/x" target="_blank" rel="noopener noreferrer nofollow">https://example.org/x</a>.</p>');
  assert.equal(renderMarkdown('line one\nline two'), '<p>line one<br>line two</p>');
});

test('blocks: headings, lists, quotes, rules, tables', () => {
  assert.equal(renderMarkdown('# One\n### Three ###'), '<h1>One</h1><h3>Three</h3>');
  assert.equal(renderMarkdown('- a\n- b\n  - nested\n- c'),
               '<ul><li>a</li><li>b<ul><li>nested</li></ul></li><li>c</li></ul>');
  assert.equal(renderMarkdown('1. one\n2. two'), '<ol><li>one</li><li>two</li></ol>');
  assert.equal(renderMarkdown('3. three\n4. four'), '<ol start="3"><li>three</li><li>four</li></ol>');
  assert.equal(renderMarkdown('1. a\n\n2. b'), '<ol><li>a</li><li>b</li></ol>');
  assert.equal(renderMarkdown('In\n2024. it rained'), '<p>In<br>2024. it rained</p>');
  assert.equal(renderMarkdown('> quoted\n> more'), '<blockquote><p>quoted<br>more</p></blockquote>');
  assert.equal(renderMarkdown('a\n\n---\n\nb'), '<p>a</p><hr><p>b</p>');
  assert.equal(renderMarkdown('| a | b |\n|---|--:|\n| 1 | 2 |'),
               '<div class="table"><table><thead><tr><th>a</th><th class="align-right">b</th></tr></thead>' +
               '<tbody><tr><td>1</td><td class="align-right">2</td></tr></tbody></table></div>');
});

test('code fences keep their text verbatim, also while still open (streaming)', () => {
  const html = renderMarkdown('```js\nif (a < b && c) { x = "**y**"; }\n```\nafter');
  assert.match(html, /<pre><code class="language-js">if \(a &lt; b &amp;&amp; c\) \{ x = &quot;\*\*y\*\*&quot;; \}<\/code><\/pre>/);
  assert.match(html, /<p>after<\/p>$/);
  assert.match(renderMarkdown('```py\nprint(1)\n'), /<pre><code class="language-py">print\(1\)\n<\/code><\/pre>/);
  assert.match(renderMarkdown('~~~\n```\n~~~'), /<pre><code>```<\/code><\/pre>/);   // the other fence kind
  // The info string only ever yields a class name of word characters.
  assert.match(renderMarkdown('```"><script>\nx\n```'), /^<div class="code"><div class="code-head"><span class="lang">[\w+#.-]*<\/span>/);
  const listed = renderMarkdown('1. Run:\n   ```sh\n   ls -l\n   ```\n2. Done');
  assert.match(listed, /^<ol><li>Run:<div class="code">.*<code class="language-sh">ls -l<\/code>.*<\/li><li>Done<\/li><\/ol>$/);
});

test('unsafe links stay text', () => {
  for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x',
                      '//evil.example/x', '/relative', 'https:/one-slash', 'java&#115;cript:alert(1)']) {
    const html = renderMarkdown(`[click](${href})`);
    assert.ok(!html.includes('<a'), `${href} became a link: ${html}`);
    assert.ok(html.includes('click'), html);
  }
  assert.equal(safeHref('mailto:someone@example.com'), 'mailto:someone@example.com');
  assert.equal(safeHref('https://x.org'), 'https://x.org');
  assert.equal(safeHref('ftp://x.org'), null);
});

test('hostile input never becomes markup', () => {
  const attacks = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    '[x](https://a.example" onmouseover="alert(1))',
    '[x](https://a.example "title" onclick="alert(1)")',
    '**<b>bold</b>**',
    '`<i>`',
    '```html\n<script>alert(1)</script>\n```',
    '| <td onclick=x> | b |\n|---|---|\n| "q" | \'s\' |',
    '- <svg/onload=alert(1)>\n  - > <iframe>',
    '# <h1>\n> <style>body{}</style>',
    'https://a.example/"><script>x</script>',
    '\uE0000\uE001 placeholder forgery \uE000',
    '[`x`](https://a.example/`y`)',
    '&lt;already escaped&gt; &amp; <<>>',
  ];
  for (const input of attacks) assertOnlyOwnMarkup(renderMarkdown(input), input);
  assert.equal(renderMarkdown('&amp;'), '<p>&amp;amp;</p>');   // entities are text too
});

test('random input: only own markup, and no input is too slow', () => {
  const alphabet = ['*', '_', '`', '~', '[', ']', '(', ')', '<', '>', '"', "'", '&', '#', '-', '+', '|', ':', '1.',
                    ' ', '\n', '\n\n', 'a', 'b', 'https://x.org/', 'javascript:', '```', '> ', '  ', '\t', '!'];
  let seed = 12345;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let t = 0; t < 2000; ++t) {
    let input = '';
    const len = 1 + rand(60);
    for (let i = 0; i < len; ++i) input += alphabet[rand(alphabet.length)];
    const start = performance.now();
    const html = renderMarkdown(input);
    assert.ok(performance.now() - start < 200, `slow on ${JSON.stringify(input)}`);
    assertOnlyOwnMarkup(html, input);
  }
});

test('a long streamed reply renders fast enough to repaint every frame', () => {
  const block = '## Heading\n\nSome **bold** text with `code` and a [link](https://x.org).\n\n' +
                '- item one\n- item two\n  - nested\n\n```js\nconst x = 1;\n```\n\n';
  const long = block.repeat(100);   // ~12 KB, a long reply
  const start = performance.now();
  for (let i = 0; i < 10; ++i) renderMarkdown(long);
  const ms = (performance.now() - start) / 10;
  assert.ok(ms < 50, `renderMarkdown took ${ms.toFixed(1)} ms for ${long.length} chars`);
});
