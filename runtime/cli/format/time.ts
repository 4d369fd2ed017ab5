// C's ctime() text ("Sun Nov 22 01:04:46 2026", local time) and the "(DDD HH:MM:SS)" spans of
// `ctdb uptime`.
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number): string => String(n).padStart(2, '0');

/** ctime(&sec) without its trailing newline. */
export function ctime(sec: number): string {
  const d = new Date(sec * 1000);
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
  );
}

/** `%03d %02d:%02d:%02d` of a whole number of seconds (C integer division and remainder). */
export function span(totalSeconds: number): string {
  let t = Math.trunc(totalSeconds);
  const s = t % 60;
  t = Math.trunc(t / 60);
  const m = t % 60;
  t = Math.trunc(t / 60);
  const h = t % 24;
  const days = Math.trunc(t / 24);
  const pad = (n: number, w: number): string =>
    n < 0 ? `-${String(-n).padStart(w - 1, '0')}` : String(n).padStart(w, '0');
  return `${pad(days, 3)} ${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
}
