// Hostile file names for tests/security/files.test.mjs (issue 6, item 7):
// traversal, absolute paths, NUL and control characters, very long names,
// Windows reserved names and trailing dots/spaces, unicode tricks (bidi
// override, homoglyphs, zero-width, NFC/NFD pairs, look-alike slashes),
// URL-encoded traversal, and degenerate names. Each is used as an upload's
// name and as a name Python writes under /mnt/data.
export const HOSTILE_NAMES = [
  // traversal
  '../escape.txt', '../../etc/passwd', '../../../../../../tmp/x.txt', 'a/../../b.txt', 'x/../y.txt', 'x/..', '/mnt/data/../escape2.txt',
  'mnt/data/../../etc/hosts', '..\\escape.txt', '..\\..\\windows\\win.ini', 'a\\b.txt', '%2e%2e%2fescape.txt', '..%2fescape.txt', '%2e%2e/escape3.txt',
  // absolute
  '/etc/passwd', '/tmp/abs.txt', '/mnt/data', '/mnt/data/', '/mnt/datax/y.txt', 'C:\\Windows\\System32\\x.dll', 'C:/x.txt', '//server/share/x', '~', '~/x.txt', '/',
  // NUL and control characters
  'nul\0byte.txt', 'ctl\x01.txt', 'new\nline.txt', 'carriage\rreturn.txt', 'tab\tname.txt', 'del\x7f.txt', 'c1\x85.txt', 'esc\x1b[31mred.txt', 'bell\x07.txt',
  // long
  `${'b'.repeat(300)}.txt`, 'a'.repeat(4096), `${'é'.repeat(200)}.txt`, `${'d/'.repeat(40)}deep.txt`, `${'e/'.repeat(20)}ok-deep.txt`, `${'long-segment/'.repeat(90)}x.txt`,
  // Windows reserved names, trailing dots and spaces
  'CON', 'NUL', 'COM1', 'LPT1.txt', 'aux.csv', 'trail.', 'trail ', ' lead.txt', 'dots...', 'a:b.txt', 'a*b?.txt', '<script>.txt', '"quoted".txt', 'pipe|name.txt',
  // unicode tricks
  'evil\u202Etxt.exe', 'iso\u2066late\u2069.txt', 'p\u0430ypal.txt', 'zero\u200Bwidth.txt', 'bom\uFEFF.txt', 'caf\u00E9.txt', 'cafe\u0301.txt', 'fake\u2215slash.txt',
  'full\uFF0Fwidth.txt', 'line\u2028sep.txt', 'nbsp\u00A0.txt', 'lone\uD800surrogate.txt', 'emoji\u{1F600}.txt', 'fullwidth\uFF0E\uFF0E\uFF0Fx.txt',
  // degenerate
  '', '.', '..', '...', '....', './x.txt', 'a//b.txt', 'a/./b.txt', 'dir/', '.hidden', 'sp ace.txt',
];
