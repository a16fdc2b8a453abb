// Every message type between the Python sandbox's pieces, named once.
// Both ends of each channel use these constants; a test
// (tests/js/sandbox-messages.test.mjs) reads the sources and checks that
// every type is sent somewhere and handled somewhere, and that no file
// spells one as a raw string any more.
//
// Code that runs where imports cannot resolve gets them another way:
// - the frame's inline bootstrap (frame.mjs) is a string whose sha256 the
//   pages' CSP names: the constants are interpolated into it, giving the
//   very same text;
// - the worker bootstrap (worker-bootstrap.mjs) is a string run in a blob:
//   or data: worker: the constants are passed into it as JSON;
// - worker-main.mjs is loaded from a blob: or data: URL: its host hands it
//   the constants (serveRunner's `messages`).
// runner.mjs sends no messages (only run events, see ../python/INTERFACE.md).
//
// Channels (who sends → who handles):
//   window        frame → page      FRAME_READY (with the control port)
//   control port  page → frame      SPAWN, INTERRUPT, HOLD (module-keeper.mjs)
//                 frame → page      SPAWNED (with the worker port), SPAWN_FAILED, WORKER_ERROR, HELD
//   worker global frame → worker    PORT (with the worker's end of the worker port)
//                 worker → frame    ALIVE
//   worker port   page → worker     SANDBOX_BOOT, SANDBOX_FETCH_RESULT
//                 worker → page     SANDBOX_BOOTED, SANDBOX_BOOT_FAILED, SANDBOX_FETCH,
//                                   SANDBOX_TIMING, SANDBOX_START_ERROR, SANDBOX_MESSAGE_ERROR
//   runner        host → worker     INIT, RUN, INSTALL_WHEEL, SNAPSHOT       (worker-main.mjs)
//   (both hosts)  worker → host     READY, RESULT, EVENT, ERROR
//                 worker → host     PACKAGE_REQUEST (a run asks for packages: issue 14)
//                 host → worker     PACKAGE_REPLY (resolved, consented, checked wheel bytes or an error)
//   Node only     worker → host     CRASH (node-worker.mjs: why the thread is about to end)

export const MSG = Object.freeze({
  FRAME_READY: 'ci-sandbox-frame-ready',

  SPAWN: 'spawn',
  SPAWNED: 'spawned',
  SPAWN_FAILED: 'spawn_failed',
  WORKER_ERROR: 'worker_error',
  INTERRUPT: 'interrupt',
  HOLD: 'hold',
  HELD: 'held',

  PORT: 'port',
  ALIVE: 'alive',

  SANDBOX_BOOT: 'sandbox_boot',
  SANDBOX_BOOTED: 'sandbox_booted',
  SANDBOX_BOOT_FAILED: 'sandbox_boot_failed',
  SANDBOX_FETCH: 'sandbox_fetch',
  SANDBOX_FETCH_RESULT: 'sandbox_fetch_result',
  SANDBOX_TIMING: 'sandbox_timing',
  SANDBOX_START_ERROR: 'sandbox_start_error',
  SANDBOX_MESSAGE_ERROR: 'sandbox_message_error',

  INIT: 'init',
  READY: 'ready',
  RUN: 'run',
  RESULT: 'result',
  EVENT: 'event',
  ERROR: 'error',
  INSTALL_WHEEL: 'install_wheel',
  SNAPSHOT: 'snapshot',
  PACKAGE_REQUEST: 'package_request',
  PACKAGE_REPLY: 'package_reply',

  CRASH: 'crash',
});
