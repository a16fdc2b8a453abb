// A wheel's core metadata (METADATA / the PEP 658 .metadata file): the
// email-header format. Pure. Only what the resolver needs.

/** { name, version, requiresDist: string[], requiresPython: string, providesExtra: string[] } */
export function parseMetadata(text) {
  const out = { name: '', version: '', requiresDist: [], requiresPython: '', providesExtra: [] };
  // Headers end at the first empty line (the description follows).
  const head = String(text ?? '').replace(/\r\n/g, '\n').split(/\n\n/)[0];
  const lines = [];
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && lines.length) lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line);
  }
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (key === 'name') out.name = value;
    else if (key === 'version') out.version = value;
    else if (key === 'requires-dist') out.requiresDist.push(value);
    else if (key === 'requires-python') out.requiresPython = value;
    else if (key === 'provides-extra') out.providesExtra.push(value);
  }
  return out;
}
