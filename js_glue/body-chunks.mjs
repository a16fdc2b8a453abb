// The chunks of an HTTP response body, read into one reused buffer.
//
// Contract: `for await (const chunk of readChunks(body))` yields Uint8Arrays
// in order, each valid only until the loop asks for the next one (the
// consumer must copy what it keeps: the core's feedLlmBytes copies into wasm
// memory). Breaking out of the loop cancels the body. A body that is not a
// byte stream (WebKit's fetch, some Node versions) is read the default way,
// one fresh chunk per read, with the same contract.
//
// Why: a reply can be 100 MB (a hostile or runaway server). Read the default
// way, every network read is a new ArrayBuffer the GC frees lazily, and the
// renderer grew by hundreds of MB per such reply (tests/security/
// hostile-streams). A BYOB reader fills the same BUFFER_BYTES every time.

export const BUFFER_BYTES = 1 << 20;

export async function* readChunks(body, bufferBytes = BUFFER_BYTES) {
  let reader = null;
  try {
    reader = body.getReader({ mode: 'byob' });
  } catch {
    reader = null; // not a byte stream: the default reader below
  }
  if (!reader) {
    const plain = body.getReader();
    try {
      for (;;) {
        const { done, value } = await plain.read();
        if (done) return;
        yield value;
      }
    } finally {
      plain.cancel().catch(() => {});
    }
  }
  let buffer = new ArrayBuffer(bufferBytes);
  try {
    for (;;) {
      // read() takes the buffer over (detaches it) and gives it back in the
      // answer's view: the next read reuses the same memory.
      const { done, value } = await reader.read(new Uint8Array(buffer, 0, buffer.byteLength));
      if (done) return;
      buffer = value.buffer;
      if (value.byteLength) yield value;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
