// Reads the core's "packed records": how the hot streaming answers
// (decoderFeed, feedLlmBytes) cross the binding instead of a JSON document
// per chunk. The layout is defined once, in wasm/bindings/bindings.cpp, and
// handed over by the module's packedLayout(); wasm/PROTOCOL.md documents it:
//   word 0 (uint32) n records, word 1 the text bytes,
//   then per record: kind, index, length of its text in UTF-16 units,
//   then the n texts concatenated as UTF-8.
// All texts are decoded with one TextDecoder call and sliced apart.
//
// The view a call returns lies in wasm memory and is valid only until the
// next call into the module: read it at once (this reader copies everything
// out into JS strings and numbers), and call nothing of the module from
// onRecord.

const utf8 = new TextDecoder('utf-8');

/**
 * @param {{header_words: number, record_words: number, kinds: string[]}} layout  the module's packedLayout()
 * @returns {{
 *   forEach: (view: Uint8Array, onRecord: (kind: string, index: number, text: string) => void) => void,
 *   deltas: (view: Uint8Array, into?: object[]) => object[],
 * }} forEach calls onRecord for each record, in order; deltas appends one
 *   {kind, text, index} per record to `into` (decoderFeed's deltas) and returns it.
 *   Both throw when the lengths in the view do not add up.
 */
export function packedReader(layout) {
  const { header_words: headerWords, record_words: recordWords } = layout;
  const kinds = [...layout.kinds];
  if (!(headerWords >= 2 && recordWords >= 3 && kinds.length > 0)) throw new Error(`packedLayout(): unusable ${JSON.stringify(layout)}`);

  // The record words and all the texts decoded at once.
  function open(view) {
    // The core writes the view 4-byte aligned, as whole words.
    const words = new Uint32Array(view.buffer, view.byteOffset, view.byteLength >>> 2);
    const textStart = (headerWords + words[0] * recordWords) * 4;
    if (textStart + words[1] !== view.byteLength) throw new Error('packed records: lengths do not add up');
    return { words, text: words[1] === 0 ? '' : utf8.decode(view.subarray(textStart)) };
  }
  const misfit = () => new Error('packed records: text lengths do not add up');

  return {
    forEach(view, onRecord) {
      const { words, text } = open(view);
      let at = 0;
      for (let i = 0, w = headerWords; i < words[0]; ++i, w += recordWords) {
        const end = at + words[w + 2];
        onRecord(kinds[words[w]], words[w + 1], text.slice(at, end));
        at = end;
      }
      if (at !== text.length) throw misfit();
    },
    // The hot loop of a stream: no callback, the objects made here.
    deltas(view, into = []) {
      const { words, text } = open(view);
      let at = 0;
      for (let i = 0, w = headerWords; i < words[0]; ++i, w += recordWords) {
        const end = at + words[w + 2];
        into.push({ kind: kinds[words[w]], text: text.slice(at, end), index: words[w + 1] });
        at = end;
      }
      if (at !== text.length) throw misfit();
      return into;
    },
  };
}
