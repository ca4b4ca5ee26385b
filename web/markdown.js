// A small Markdown renderer for model replies, safe by construction:
//  1. the whole input is HTML-escaped first, so every character the model wrote reaches the page
//     as text, never as markup;
//  2. the renderer then only adds its own fixed tags (p, h1-h6, ul/ol/li, pre/code, strong, em,
//     del, blockquote, table, hr, a);
//  3. a link keeps its href only when the scheme is http:, https: or mailto:.
// The page's Content-Security-Policy (no inline script, no foreign origins) is a second wall.
//
// It handles what chat models write: fenced code (also unterminated, while a reply streams in),
// inline code, bold / italic / strikethrough, headings, nested lists, block quotes, tables,
// rules, [links](https://...) and bare URLs. It is a pure function of its input (no DOM), so the
// Node test can check it directly.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// Inline placeholders: finished HTML (code spans, links) is parked as \uE000<n>\uE001 so later
// passes cannot touch it. Both characters are stripped from the input first, so the model cannot
// forge a placeholder.
const HOLD_OPEN = '\uE000';
const HOLD_CLOSE = '\uE001';
const MAX_DEPTH = 12;   // nesting of lists / quotes rendered as structure; deeper stays text

export function renderMarkdown(source) {
  const text = String(source ?? '').replace(/\r\n?/g, '\n').replace(/[\uE000\uE001]/g, '');
  return renderBlocks(escapeHtml(text).split('\n'), 0);
}

// ---------------------------------------------------------------------------------------------
// Blocks. Every pattern below runs on escaped text: '>' is '&gt;', quotes are entities.

const FENCE_RE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;
const HEADING_RE = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const RULE_RE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE_RE = /^ {0,3}&gt; ?/;
const LIST_RE = /^( *)([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const TABLE_SEP_RE = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

const isBlank = (line) => /^\s*$/.test(line);
const indentOf = (line) => line.match(/^ */)[0].length;

function startsBlock(line) {
  return FENCE_RE.test(line) || HEADING_RE.test(line) || RULE_RE.test(line) || QUOTE_RE.test(line) ||
         LIST_RE.test(line);
}

function renderBlocks(lines, depth) {
  const out = [];
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join('<br>')}</p>`);
    paragraph = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if ((m = FENCE_RE.exec(line))) {
      flush();
      const fence = m[1];
      const lang = m[2].replace(/[^\w+#.-]/g, '').slice(0, 32);
      const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
      const body = [];
      for (++i; i < lines.length && !close.test(lines[i]); ++i) body.push(lines[i]);
      ++i;   // the closing fence (or past the end while the reply is still streaming)
      out.push(codeBlock(body.join('\n'), lang));
    } else if (isBlank(line)) {
      flush();
      ++i;
    } else if ((m = HEADING_RE.exec(line))) {
      flush();
      const level = m[1].length;
      out.push(`<h${level}>${inline(m[2])}</h${level}>`);
      ++i;
    } else if (RULE_RE.test(line)) {
      flush();
      out.push('<hr>');
      ++i;
    } else if (QUOTE_RE.test(line) && depth < MAX_DEPTH) {
      flush();
      const quoted = [];
      for (; i < lines.length && QUOTE_RE.test(lines[i]); ++i) quoted.push(lines[i].replace(QUOTE_RE, ''));
      out.push(`<blockquote>${renderBlocks(quoted, depth + 1)}</blockquote>`);
    } else if ((m = LIST_RE.exec(line)) && depth < MAX_DEPTH &&
               // Like CommonMark, only "1." may interrupt a paragraph ("2024. was a year" stays text).
               (!paragraph.length || !/\d/.test(m[2]) || parseInt(m[2], 10) === 1)) {
      flush();
      const list = renderList(lines, i, depth);
      out.push(list.html);
      i = list.next;
    } else if (line.includes('|') && i + 1 < lines.length && TABLE_SEP_RE.test(lines[i + 1]) &&
               lines[i + 1].includes('|')) {
      flush();
      const table = renderTable(lines, i);
      out.push(table.html);
      i = table.next;
    } else {
      paragraph.push(line);
      ++i;
    }
  }
  flush();
  return out.join('');
}

function codeBlock(code, lang) {
  const cls = lang ? ` class="language-${lang}"` : '';
  return `<div class="code"><div class="code-head"><span class="lang">${lang || 'code'}</span>` +
         `<button type="button" class="copy" aria-label="Copy code">Copy</button></div>` +
         `<pre><code${cls}>${code}</code></pre></div>`;
}

// One list at the indentation of lines[start]; items own every following line that is indented
// deeper (nested lists, code, continuation text), plus lazy continuation lines.
function renderList(lines, start, depth) {
  const first = LIST_RE.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const items = [];
  let i = start;
  while (i < lines.length) {
    if (isBlank(lines[i])) {
      // A blank line ends the list unless another item of this list follows it.
      let j = i;
      while (j < lines.length && isBlank(lines[j])) ++j;
      const next = j < lines.length ? LIST_RE.exec(lines[j]) : null;
      if (!next || next[1].length !== indent || /\d/.test(next[2]) !== ordered) break;
      i = j;
    }
    const m = LIST_RE.exec(lines[i]);
    if (!m || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
    const contentIndent = m[1].length + m[2].length + 1;
    const content = [m[3]];
    for (++i; i < lines.length; ++i) {
      const line = lines[i];
      if (isBlank(line)) {
        let j = i;
        while (j < lines.length && isBlank(lines[j])) ++j;
        if (j < lines.length && indentOf(lines[j]) > indent) {
          content.push('');
          continue;
        }
        break;
      }
      const lead = indentOf(line);
      if (lead > indent) {
        content.push(line.slice(Math.min(lead, contentIndent)));
      } else if (!startsBlock(line) && !isBlank(content[content.length - 1])) {
        content.push(line);   // lazy continuation of the item's paragraph
      } else {
        break;
      }
    }
    items.push(content);
  }
  const html = items.map((content) => {
    let body = renderBlocks(content, depth + 1);
    // A tight item (no blank line in it) shows its first paragraph without a <p> around it.
    if (!content.includes('')) body = body.replace(/^<p>((?:(?!<\/?p>)[\s\S])*)<\/p>/, '$1');
    return `<li>${body}</li>`;
  }).join('');
  const startAttr = ordered && parseInt(first[2], 10) !== 1 ? ` start="${parseInt(first[2], 10)}"` : '';
  return { html: ordered ? `<ol${startAttr}>${html}</ol>` : `<ul>${html}</ul>`, next: i };
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|')) row = row.slice(0, -1);
  return row.split('|').map((cell) => cell.trim());
}

function renderTable(lines, start) {
  const head = splitRow(lines[start]);
  const aligns = splitRow(lines[start + 1]).map((cell) => {
    const left = cell.startsWith(':'), right = cell.endsWith(':');
    return left && right ? 'center' : right ? 'right' : left ? 'left' : '';
  });
  const cell = (tag, text, k) => {
    const cls = aligns[k] ? ` class="align-${aligns[k]}"` : '';
    return `<${tag}${cls}>${inline(text ?? '')}</${tag}>`;
  };
  let i = start + 2;
  const rows = [];
  for (; i < lines.length && lines[i].includes('|') && !isBlank(lines[i]); ++i) {
    const cells = splitRow(lines[i]);
    rows.push(`<tr>${head.map((_, k) => cell('td', cells[k], k)).join('')}</tr>`);
  }
  const html = `<div class="table"><table><thead><tr>${head.map((h, k) => cell('th', h, k)).join('')}</tr></thead>` +
               `<tbody>${rows.join('')}</tbody></table></div>`;
  return { html, next: i };
}

// ---------------------------------------------------------------------------------------------
// Inline spans, on one escaped line.

// Only these schemes may become a link; anything else (javascript:, data:, vbscript:, relative
// paths) renders as plain text.
export function safeHref(escapedUrl) {
  if (/[\s\uE000\uE001]/.test(escapedUrl)) return null;
  return /^(?:https?:\/\/[^/]|mailto:[^/])/i.test(escapedUrl) ? escapedUrl : null;
}

const linkHtml = (href, label) => `<a href="${href}" target="_blank" rel="noopener noreferrer nofollow">${label}</a>`;

// A bare URL runs until whitespace or an escaped quote / angle bracket; `&amp;` stays inside it.
const BARE_URL_RE = /\bhttps?:\/\/(?:[^\s&<>"'`\uE000\uE001]|&amp;)+/g;

function inline(text) {
  const held = [];
  const hold = (html) => `${HOLD_OPEN}${held.push(html) - 1}${HOLD_CLOSE}`;
  let s = text;
  // Code spans first: their content is never formatted.
  s = s.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_, ticks, code) => hold(`<code>${code}</code>`));
  // [label](url) and [label](url "title").
  s = s.replace(/\[([^\]\n]{1,1000})\]\([ \t]*([^\s()]+)(?:[ \t]+&quot;[^\n]*?&quot;)?[ \t]*\)/g, (all, label, url) => {
    const href = safeHref(url);
    return href ? hold(linkHtml(href, emphasis(label))) : all;   // unsafe: shown as the text it is
  });
  s = s.replace(BARE_URL_RE, (url) => {
    const trail = url.match(/[.,;:!?)\]]+$/);   // sentence punctuation after a URL is not part of it
    const core = trail ? url.slice(0, -trail[0].length) : url;
    const href = safeHref(core);
    return href ? hold(linkHtml(href, core)) + (trail ? trail[0] : '') : url;
  });
  s = emphasis(s);
  // Restore held spans (a link label may itself hold a code span: resolve until none is left).
  const restore = (str) => str.replace(/\uE000(\d+)\uE001/g, (_, n) => restore(held[Number(n)]));
  return restore(s);
}

function emphasis(s) {
  return s
    .replace(/\*\*\*(?=\S)([\s\S]*?\S)\*\*\*/g, '<strong><em>$1</em></strong>')
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(?<!\w)__(?=\S)([\s\S]*?\S)__(?!\w)/g, '<strong>$1</strong>')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>')
    .replace(/(?<![*\w])\*(?=[^\s*])([\s\S]*?[^\s*])\*(?![*\w])/g, '<em>$1</em>')
    .replace(/(?<![_\w])_(?=[^\s_])([\s\S]*?[^\s_])_(?![_\w])/g, '<em>$1</em>');
}
