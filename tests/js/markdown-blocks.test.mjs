// web/app/markdown-blocks.mjs: a streamed answer rendered block by block
// must show, at every step, exactly what rendering the whole text so far
// shows (marked alone here: the app's render adds DOMPurify per block,
// which keeps the same markup), while rendering each final block once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Marked } from 'marked';
import { BlockStream } from '../../web/app/markdown-blocks.mjs';

const marked = new Marked({ gfm: true, breaks: false });
const whole = (text) => marked.parse(text, { async: false });

/** A stream that counts what it renders. */
function counted() {
  const seen = { calls: 0, chars: 0, inputs: [] };
  const s = new BlockStream({
    lex: (t) => marked.lexer(t),
    render: (md) => { seen.calls += 1; seen.chars += md.length; seen.inputs.push(md); return whole(md); },
  });
  return { s, seen };
}

const fence = '```';
const ANSWERS = {
  report: `# Sales report

Here is **what** I found in \`sales.csv\` (2,000 rows):

1. First item
2. Second item

   continued paragraph of the second item

3. Third, after a blank line: the same list

- a
- b
  - nested
- c

${fence}python
import pandas as pd
df = pd.read_csv('/mnt/data/sales.csv')

print(df.describe())
${fence}

| region | total |
|---|---:|
| r1 | 7 |
| r2 | 14 |

> a quote
lazy continuation

Final paragraph with [a link](https://example.com) and a file [sales.csv](sandbox:/mnt/data/sales.csv).
Setext heading
---
***
Done.
`,
  open_fence: `Let me run it:\n\n${fence}python\nfor i in range(3):\n\n    print(i)\n`,
  html_and_entities: 'A <b>bold</b> claim & more\n\n<div>\nblock html\n</div>\n\nafter &amp; &copy;\n',
  indented_code: 'Text\n\n    indented code\n    more\n\nText after\n',
  crlf: 'Line one\r\n\r\n- item\r\n- item two\r\n\r\nEnd\r\n',
  tabs: '-\titem\n-\tsecond\n\n\tcode with tab\n',
  reference_links: 'See [the docs][d] and [more].\n\nAnother paragraph.\n\n[d]: https://example.com/docs\n[more]: https://example.com/more "More"\n\nTail paragraph.\n',
  table_growing: 'Intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n| 5 | 6 |\n\nAfter the table.\n',
  headings_lists: '## Steps\n1. one\n2. two\n## Next\n- x\n\n- y\n\nz\n',
};

function streamSteps(text, size) {
  const steps = [];
  for (let i = size; i < text.length + size; i += size) steps.push(text.slice(0, Math.min(i, text.length)));
  return steps;
}

for (const [name, text] of Object.entries(ANSWERS)) {
  for (const size of [1, 6, 37]) {
    test(`${name}, streamed ${size} characters at a time: every step shows what the whole text renders to`, () => {
      const { s } = counted();
      for (const prefix of streamSteps(text, size)) {
        assert.equal(s.update(prefix).join(''), whole(prefix), `after ${prefix.length} characters: ${JSON.stringify(prefix.slice(-40))}`);
      }
    });
  }
}

function longAnswer(parts) {
  const out = [];
  for (let i = 0; i < parts; i += 1) {
    out.push(`## Part ${i}\n\nSome **text** for part ${i}, with \`code\` and a [link](https://example.com/${i}).\n`);
    out.push(`- point one of ${i}\n- point two of ${i}\n`);
    out.push(`${fence}python\nx = ${i}\nprint(x * 2)\n${fence}\n`);
  }
  return out.join('\n');
}

function streamAll(text) {
  const { s, seen } = counted();
  let out;
  for (const prefix of streamSteps(text, 6)) out = s.update(prefix);
  return { out, seen };
}

test('each final block is rendered once; the work grows with the text, not with its square', () => {
  const text = longAnswer(40);
  const { out, seen } = streamAll(text);
  assert.equal(out.join(''), whole(text));
  const finals = marked.lexer(text).filter((t) => t.type !== 'space');
  // Every block but the last two (still open) was rendered alone exactly once.
  for (const t of finals.slice(0, -2)) {
    assert.equal(seen.inputs.filter((md) => md === t.raw).length, 1, `rendered once: ${JSON.stringify(t.raw.slice(0, 30))}`);
  }
  // Twice the text, about twice the rendering (whole re-renders: four times).
  const half = streamAll(longAnswer(20)).seen.chars;
  assert.ok(seen.chars / half < 2.5, `${half} characters rendered for 20 parts, ${seen.chars} for 40`);
  const wholeChars = streamSteps(text, 6).reduce((n, p) => n + p.length, 0);
  assert.ok(seen.chars * 20 < wholeChars, `rendered ${seen.chars} characters, against ${wholeChars} for whole re-renders`);
});

test('a text that does not go on from the last one (a new answer, an edit) starts over', () => {
  const { s } = counted();
  s.update('# One\n\nfirst answer\n\nmore');
  assert.equal(s.update('Second answer\n\n- a').join(''), whole('Second answer\n\n- a'));
  assert.deepEqual(s.update(''), []);
  assert.equal(s.update('x').join(''), whole('x'));
});

test('a reference definition makes the rest of the stream render whole, as it changes earlier links', () => {
  const { s, seen } = counted();
  const text = ANSWERS.reference_links;
  for (const prefix of streamSteps(text, 6)) s.update(prefix);
  assert.equal(s.whole, true);
  assert.ok(seen.inputs.at(-1) === text, 'the last render was of the whole text');
});
