// The page's side of a sandbox frame's first message (frame.mjs sends it):
// the one FRAME_READY that carries the frame's control port. Used for the
// Python frame (python-sandbox.mjs) and the module keeper's (module-keeper.mjs).

import { MSG } from './messages.mjs';

/**
 * Puts `iframe` (from createFrame) into `container` and waits for its control
 * port: the frame's one FRAME_READY message, taken only from that frame
 * (event.source; the frame posts it to our exact origin, and we never post to
 * the frame's opaque origin at all: no targetOrigin could name it).
 * @returns {{port: Promise<MessagePort>, cancel: () => void}} cancel stops waiting (the caller gave up)
 */
export function frameControl(iframe, container) {
  const win = (container.ownerDocument ?? document).defaultView ?? window;
  let onMessage = null;
  const cancel = () => {
    if (onMessage) win.removeEventListener('message', onMessage);
    onMessage = null;
  };
  const port = new Promise((resolve) => {
    onMessage = (event) => {
      if (event.source !== iframe.contentWindow || event.data !== MSG.FRAME_READY || event.ports?.length !== 1) return;
      cancel();
      resolve(event.ports[0]);
    };
    win.addEventListener('message', onMessage);
  });
  container.append(iframe);
  return { port, cancel };
}
