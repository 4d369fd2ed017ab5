// Reads the variable assignments of a CTDB options file (`script.options`, `NN.name.options`),
// which CTDB sources as shell. The subset admins use is accepted: `NAME=value`, optional
// `export`, single quotes (literal), double quotes (with \" \\ \$ \` escapes and $NAME /
// ${NAME} expansion), unquoted words, `#` comments and blank lines. Anything else is an
// error that names the file and line instead of being silently misread.

export class OptionsFileError extends Error {
  override name = 'OptionsFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

export interface Assignment {
  readonly name: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Parses `text` (the contents of `file`). `lookup` supplies values for `$NAME` expansion of
 * names not assigned earlier in the file (the environment, or earlier files).
 */
export function parseShellAssignments(
  text: string,
  file: string,
  lookup: (name: string) => string | undefined = () => undefined,
): Assignment[] {
  const out: Assignment[] = [];
  const seen = new Map<string, string>();
  const expand = (name: string): string => seen.get(name) ?? lookup(name) ?? '';
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const lineNo = i + 1;
    const fail = (reason: string): never => {
      throw new OptionsFileError(file, lineNo, reason);
    };
    let rest = raw.replace(/^\s+/, '');
    if (rest === '' || rest.startsWith('#')) continue;
    if (/^export\s/.test(rest)) rest = rest.slice('export'.length).replace(/^\s+/, '');
    const m = NAME.exec(rest);
    if (m === null) fail(`expected NAME=value, got '${raw.trim()}'`);
    const name = m![0];
    rest = rest.slice(name.length);
    if (!rest.startsWith('=')) fail(`expected '=' after ${name}`);
    rest = rest.slice(1);
    let value = '';
    let pos = 0;
    while (pos < rest.length) {
      const c = rest[pos]!;
      if (c === ' ' || c === '\t' || c === '\r' || c === ';') break;
      if (c === "'") {
        const close = rest.indexOf("'", pos + 1);
        if (close === -1) fail(`unterminated single quote in value of ${name}`);
        value += rest.slice(pos + 1, close);
        pos = close + 1;
      } else if (c === '"') {
        pos++;
        let closed = false;
        while (pos < rest.length) {
          const d = rest[pos]!;
          if (d === '"') {
            closed = true;
            pos++;
            break;
          }
          if (d === '\\' && pos + 1 < rest.length && '"\\$`'.includes(rest[pos + 1]!)) {
            value += rest[pos + 1]!;
            pos += 2;
          } else if (d === '$') {
            const [text, used] = readExpansion(rest, pos, expand, fail);
            value += text;
            pos += used;
          } else if (d === '`') {
            fail(`command substitution is not supported in value of ${name}`);
          } else {
            value += d;
            pos++;
          }
        }
        if (!closed) fail(`unterminated double quote in value of ${name}`);
      } else if (c === '\\' && pos + 1 < rest.length) {
        value += rest[pos + 1]!;
        pos += 2;
      } else if (c === '$') {
        const [text, used] = readExpansion(rest, pos, expand, fail);
        value += text;
        pos += used;
      } else if (
        c === '`' ||
        c === '(' ||
        c === ')' ||
        c === '|' ||
        c === '&' ||
        c === '<' ||
        c === '>'
      ) {
        fail(`unsupported shell syntax '${c}' in value of ${name}`);
      } else {
        value += c;
        pos++;
      }
    }
    const tail = rest.slice(pos).trim().replace(/^;\s*/, '');
    if (tail !== '' && !tail.startsWith('#'))
      fail(`unexpected text after value of ${name}: '${tail}' (quote values containing spaces)`);
    seen.set(name, value);
    out.push({ name, value, file, line: lineNo });
  }
  return out;
}

function readExpansion(
  s: string,
  pos: number,
  expand: (name: string) => string,
  fail: (reason: string) => never,
): [string, number] {
  if (s[pos + 1] === '{') {
    const close = s.indexOf('}', pos + 2);
    const name = close === -1 ? '' : s.slice(pos + 2, close);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`unsupported expansion '${s.slice(pos)}'`);
    return [expand(name), close - pos + 1];
  }
  const m = NAME.exec(s.slice(pos + 1));
  if (m === null) return ['$', 1];
  return [expand(m[0]), m[0].length + 1];
}
