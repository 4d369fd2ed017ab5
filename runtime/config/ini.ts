// A small parser for Samba's "tini" ini dialect, the one ctdb.conf is read with: `#` and `;`
// start comment lines, `[section]` headers (names trimmed), `key = value` with key and value
// trimmed and runs of blank characters folded into one, and a trailing backslash continuing a
// line. Every entry keeps its line number so later validation can point at it.

export interface IniEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface IniSection {
  readonly name: string;
  readonly line: number;
}

export interface IniDocument {
  readonly sections: readonly IniSection[];
  readonly entries: readonly IniEntry[];
}

export class IniSyntaxError extends Error {
  override name = 'IniSyntaxError';
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

function foldBlanks(s: string): string {
  return s.trim().replace(/[ \t]+/g, ' ');
}

export function parseIni(text: string): IniDocument {
  const sections: IniSection[] = [];
  const entries: IniEntry[] = [];
  const lines = text.split('\n');
  let section: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!.replace(/\r$/, '');
    // Continuation lines: a backslash at the end joins the next line.
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, '') + lines[++i]!.replace(/\r$/, '');
    }
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    if (t.startsWith('[')) {
      if (!t.endsWith(']')) throw new IniSyntaxError(lineNo, `bad section header "${t}"`);
      section = foldBlanks(t.slice(1, -1));
      if (section === '') throw new IniSyntaxError(lineNo, 'empty section name');
      sections.push({ name: section, line: lineNo });
      continue;
    }
    const eq = t.indexOf('=');
    if (eq < 0) throw new IniSyntaxError(lineNo, `expected "key = value", got "${t}"`);
    const key = foldBlanks(t.slice(0, eq));
    if (key === '') throw new IniSyntaxError(lineNo, 'empty option name');
    if (section === undefined)
      throw new IniSyntaxError(lineNo, `option "${key}" outside of any section`);
    entries.push({ section, key, value: foldBlanks(t.slice(eq + 1)), line: lineNo });
  }
  return { sections, entries };
}
