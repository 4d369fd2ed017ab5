// A real SMTP server (smtp-server) run as its own process, so it can live inside a node's
// network namespace: listens on 127.0.0.1:PORT and appends each received message, as one JSON
// line {from, to, data}, to FILE. Usage: smtp-sink.ts PORT FILE
import { appendFileSync } from 'node:fs';
import { SMTPServer } from 'smtp-server';

const [portText, file] = process.argv.slice(2);
if (portText === undefined || file === undefined) {
  process.stderr.write('usage: smtp-sink.ts PORT FILE\n');
  process.exit(2);
}
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, callback) {
    let data = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (data += chunk));
    stream.on('end', () => {
      const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
      const to = session.envelope.rcptTo.map((r) => r.address);
      appendFileSync(file, `${JSON.stringify({ from, to, data })}\n`);
      callback();
    });
  },
});
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write('listening\n'));
