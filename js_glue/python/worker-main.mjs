// The worker's message loop around one runner (see INTERFACE.md).
//
// Shared by the browser (a classic Web Worker inside the opaque sandbox
// iframe, where this file arrives as a blob URL) and Node (node-worker.mjs in
// a worker_thread). So: no imports, no DOM, no Node APIs; the runner module,
// loadPyodide and the message types (../sandbox/messages.mjs, which this file
// could not import from a blob URL) are handed in.
//
// Messages, all {type, id, ...}:
//   host → worker: INIT {options}, RUN {request}, INSTALL_WHEEL {filename, bytes}, SNAPSHOT {}
//   worker → host: READY {info}, EVENT {event}, RESULT {result}, ERROR {error: {type, message}}
//   worker → host: PACKAGE_REQUEST {id (the run's), pid, request}   (issue 14: the host resolves, asks, fetches)
//   host → worker: PACKAGE_REPLY {pid, reply}   (handled at once, not queued: the run waits for it)
// Byte arrays travel in the transfer list, never copied.

function transferList(buffers) {
  // Each ArrayBuffer once (two views of one buffer would make postMessage
  // throw), only whole non-shared buffers (a view of a bigger buffer is
  // cloned instead, which copies only what it must).
  const seen = new Set();
  for (const b of buffers) {
    if (!(b instanceof Uint8Array)) continue;
    const buf = b.buffer;
    if (typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer) continue;
    if (b.byteOffset !== 0 || b.byteLength !== buf.byteLength) continue;
    seen.add(buf);
  }
  return [...seen];
}

function errorOf(error) {
  return { type: error?.name ?? 'Error', message: String(error?.message ?? error) };
}

export function serveRunner(port, { loadPyodide, importRunner, messages: MSG }) {
  if (!MSG?.RUN) throw new TypeError('serveRunner: pass the message types (messages.mjs MSG) as `messages`');
  let runner = null;
  let initializing = null;
  let currentId = null;
  let nextPid = 1;
  const packageReplies = new Map(); // pid → resolve
  // One message at a time, in arrival order: a run that arrives while init
  // is still loading Pyodide waits for it.
  let queue = Promise.resolve();

  const post = (msg, buffers = []) => {
    const transfer = transferList(buffers);
    port.postMessage(msg, transfer);
  };

  async function init(msg) {
    const options = { ...(msg.options ?? {}) };
    let ib = options.interruptBuffer;
    if (ib && !(ib instanceof Uint8Array)) ib = new Uint8Array(ib);
    const { createRunner } = await importRunner();
    runner = await createRunner({
      ...options,
      interruptBuffer: ib ?? null,
      loadPyodide,
      onEvent: (event) => post({ type: MSG.EVENT, id: currentId, event }),
      // The run waits on the host's answer; the host hands in checked wheel bytes.
      requestPackages: (request) => new Promise((resolve) => {
        const pid = nextPid++;
        packageReplies.set(pid, resolve);
        post({ type: MSG.PACKAGE_REQUEST, id: currentId, pid, request });
      }),
    });
    return runner.info;
  }

  async function handle(msg) {
    const { type, id } = msg ?? {};
    try {
      if (type === MSG.INIT) {
        initializing ??= init(msg);
        post({ type: MSG.READY, id, info: await initializing });
        return;
      }
      if (!runner) {
        if (!initializing) throw new Error('the runner was not initialized (send init first)');
        await initializing;
      }
      if (type === MSG.RUN) {
        currentId = id;
        const result = await runner.run(msg.request);
        currentId = null;
        const bytes = [...(result.files?.created ?? []), ...(result.files?.modified ?? [])].map((f) => f.bytes);
        post({ type: MSG.RESULT, id, result }, bytes);
      } else if (type === MSG.INSTALL_WHEEL) {
        const result = await runner.installWheel({ filename: msg.filename, bytes: msg.bytes, kind: msg.kind });
        post({ type: MSG.RESULT, id, result });
      } else if (type === MSG.SNAPSHOT) {
        const bytes = runner.makeSnapshot();
        post({ type: MSG.RESULT, id, result: bytes }, [bytes]);
      } else {
        throw new Error(`unknown message type: ${type}`);
      }
    } catch (error) {
      currentId = null;
      post({ type: MSG.ERROR, id, error: errorOf(error) });
    }
  }

  const onMessage = (eventOrData) => {
    // Web workers deliver a MessageEvent; Node's parentPort the data itself.
    const msg = eventOrData && typeof eventOrData === 'object' && 'data' in eventOrData && !('type' in eventOrData && 'id' in eventOrData)
      ? eventOrData.data
      : eventOrData;
    if (msg?.type === MSG.PACKAGE_REPLY) {
      const resolve = packageReplies.get(msg.pid);
      packageReplies.delete(msg.pid);
      resolve?.(msg.reply ?? { ok: false, error: { code: 'install_failed', message: 'the host sent no answer' } });
      return;
    }
    queue = queue.then(() => handle(msg));
  };
  if (typeof port.on === 'function') port.on('message', onMessage);
  else if (typeof port.addEventListener === 'function') {
    port.addEventListener('message', onMessage);
    port.start?.();
  } else port.onmessage = onMessage;
}
