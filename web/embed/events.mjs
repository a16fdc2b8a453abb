// The public events live with the session that emits them (js_glue/events.mjs).
export { fromCoreEvent, fromSandboxEvent, domEventName } from '../../js_glue/events.mjs';
