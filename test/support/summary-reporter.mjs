// node:test reporter: one line per test (ok / FAIL / SKIP with its reason), failure details,
// and a closing line of counts: "summary: N passed, N failed, N skipped".
import { relative } from 'node:path';

export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:pass' || type === 'test:fail') {
      // Count leaf tests only: a suite's own pass/fail event repeats its children's results,
      // except for a skipped suite, whose children never run: it counts as one skip.
      if (data.details?.type === 'suite' && data.skip === undefined) continue;
      const file = data.file ? relative(process.cwd(), data.file) : '';
      const name = `${file} › ${data.name}`;
      if (data.skip !== undefined) {
        skipped++;
        const reason = typeof data.skip === 'string' ? data.skip : 'skipped';
        yield `SKIP ${name} — ${reason}\n`;
      } else if (data.todo !== undefined) {
        skipped++;
        yield `TODO ${name}\n`;
      } else if (type === 'test:pass') {
        passed++;
        yield `ok   ${name} (${Math.round(data.details?.duration_ms ?? 0)} ms)\n`;
      } else {
        failed++;
        yield `FAIL ${name}\n`;
        const err = data.details?.error;
        const cause = err?.cause ?? err;
        failures.push(`${name}\n${cause?.stack ?? cause?.message ?? String(cause)}\n`);
      }
    } else if (type === 'test:stderr' || type === 'test:stdout') {
      if (process.env.TEST_VERBOSE) yield data.message;
    } else if (type === 'test:diagnostic') {
      if (process.env.TEST_VERBOSE) yield `# ${data.message}\n`;
    }
  }
  if (failures.length > 0) {
    yield '\nFailures:\n';
    for (const f of failures) yield `\n${f}`;
  }
  yield `\nsummary: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
