// Number parsing exactly as CTDB's tool does it: popt's integer options (strtoll base 0, the
// whole string, within int range) and samba's smb_strtoul (strtoul base 0, trailing text
// allowed, no negative numbers), whose errno becomes the command's exit status.

export type PoptIntResult =
  | { readonly ok: true; readonly value: number }
  | {
      readonly ok: false;
      readonly reason: 'invalid numeric value' | 'number too large or too small';
    };

/** Parses like C strtoll(text, &end, 0); returns the value and how many characters were used. */
function strtoll(text: string): { value: bigint; used: number } {
  let i = 0;
  while (i < text.length && ' \t\n\v\f\r'.includes(text[i]!)) i++;
  let neg = false;
  if (text[i] === '+' || text[i] === '-') {
    neg = text[i] === '-';
    i++;
  }
  let base = 10n;
  let digits = '0123456789';
  if (
    text[i] === '0' &&
    (text[i + 1] === 'x' || text[i + 1] === 'X') &&
    /[0-9a-fA-F]/.test(text[i + 2] ?? '')
  ) {
    base = 16n;
    digits = '0123456789abcdef';
    i += 2;
  } else if (text[i] === '0') {
    base = 8n;
    digits = '01234567';
  }
  const start = i;
  let value = 0n;
  while (i < text.length && digits.includes(text[i]!.toLowerCase())) {
    value = value * base + BigInt(digits.indexOf(text[i]!.toLowerCase()));
    i++;
  }
  if (i === start) return { value: 0n, used: 0 };
  return { value: neg ? -value : value, used: i };
}

/** popt POPT_ARG_INT. */
export function parsePoptInt(text: string): PoptIntResult {
  const { value, used } = strtoll(text);
  if (used !== text.length && text.length > 0)
    return { ok: false, reason: 'invalid numeric value' };
  if (value > 2147483647n || value < -2147483648n) {
    return { ok: false, reason: 'number too large or too small' };
  }
  return { ok: true, value: Number(value) };
}

export type StrtoulResult =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly errno: number };

/** smb_strtoul(text, NULL, 0, &err, SMB_STR_STANDARD), truncated to 32 bits as CTDB stores it. */
export function smbStrtoul32(text: string): StrtoulResult {
  const { value, used } = strtoll(text);
  if (used === 0) return { ok: false, errno: 22 };
  const minus = text.indexOf('-');
  if (minus !== -1 && minus < used) return { ok: false, errno: 22 };
  if (value > 0xffffffffffffffffn) return { ok: false, errno: 34 };
  return { ok: true, value: Number(value & 0xffffffffn) };
}
