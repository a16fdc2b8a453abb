// A streamed answer's markdown, rendered block by block, so that each new
// piece of text costs the last block, not the whole answer.
//
//   const s = new BlockStream({ lex, render });
//   s.update(textSoFar) → [html, …]   one string per top-level block
//
// `lex(text)` is marked's block lexer (tokens with `type` and `raw`, and
// `tokens.links` for reference definitions); `render(markdown)` turns one
// block's markdown into safe HTML (app/markdown.mjs: marked → DOMPurify).
// No DOM and no marked here: the Node tests drive it with marked alone.
//
// Why it is exact: markdown ends a top-level block by what follows it
// (a blank line, a fence's close, another block's start), never by what
// comes after the next block. So once a block is followed by two more
// non-blank blocks, it is final: rendered once and kept, and later updates
// lex only the text after it. Two, not one: the block after it is settled
// only once a third has begun ("3" after a numbered list is a paragraph
// until its "." makes it the list's next item). The last two blocks (a
// paragraph that may still become a heading or a list item, a list or
// table still growing, an open code fence) are rendered again on each
// update. Blank lines never close a block here: a list may go on after
// one. Exceptions:
// - a reference definition ([x]: url) changes links in blocks before it,
//   and a text whose tokens do not spell it out exactly (\r\n) cannot be
//   cut at them: both are rendered whole on each update, as before;
// - a text that does not go on from the last one (an edit, a new answer)
//   starts over.
// The finished answer is rendered whole anyway (ci-chat), so a streaming
// view that differed in some corner of markdown would last one answer.

export class BlockStream {
  constructor({ lex, render }) {
    this.lex = lex;
    this.render = render;
    this.reset();
  }

  reset() {
    this.text = ''; // the text of the last update
    this.done = ''; // the text of the final blocks (and the blank lines after them)
    this.blocks = []; // their HTML
    this.whole = false; // render the whole text each time (see above)
  }

  /** HTML per block for the text so far: the final blocks' kept HTML, then the last one's. */
  update(text) {
    text = String(text ?? '');
    if (!text.startsWith(this.text)) this.reset(); // not a continuation: start over
    this.text = text;
    if (this.whole) return text.trim() ? [this.render(text)] : [];

    const rest = text.slice(this.done.length);
    const tokens = this.lex(rest);
    if (tokens.some((t) => t.type === 'def') || Object.keys(tokens.links ?? {}).length) {
      this.whole = true;
      return this.update(text);
    }
    // The start of the second-to-last block: everything before it is final.
    const blocks = tokens.map((t, i) => (t.type === 'space' ? -1 : i)).filter((i) => i >= 0);
    const open = blocks.length >= 2 ? blocks.at(-2) : 0;
    let consumed = 0;
    const finals = [];
    for (let i = 0; i < open; i += 1) {
      const raw = tokens[i].raw;
      if (rest.slice(consumed, consumed + raw.length) !== raw) { // the lexer changed the text (\r\n, tabs): no shortcut
        this.whole = true;
        return this.update(text);
      }
      consumed += raw.length;
      if (tokens[i].type !== 'space') finals.push(raw);
    }
    for (const raw of finals) this.blocks.push(this.render(raw));
    this.done += rest.slice(0, consumed);
    const tail = rest.slice(consumed);
    return tail.trim() ? [...this.blocks, this.render(tail)] : [...this.blocks];
  }
}
