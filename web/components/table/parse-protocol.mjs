// Messages between the page (load.mjs) and the table parse worker
// (parse-worker.mjs); both import these names.
//   page → worker  {type: PARSE, id, text}
//   worker → page  {type: PARSED, id, table} (Float64Array columns transferred)
//                | {type: PARSE_FAILED, id, error: {code, message, detail}}
export const PARSE = 'parse_table';
export const PARSED = 'table_parsed';
export const PARSE_FAILED = 'table_parse_failed';
