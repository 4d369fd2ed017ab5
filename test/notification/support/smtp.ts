// A real SMTP server (the smtp-server package) on 127.0.0.1 and a free port, in process,
// recording each message with its envelope, whether the session was TLS, and who logged in.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

function decodeQuotedPrintable(text: string): string {
  const bytes = text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

export function parseMessage(raw: string): { headers: Map<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  let body = raw.slice(split + 4);
  if (/quoted-printable/i.test(headers.get('content-transfer-encoding') ?? ''))
    body = decodeQuotedPrintable(body);
  return { headers, body: body.replace(/\r\n/g, '\n') };
}

export class MailSink {
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
    readonly mails: ReceivedMail[],
  ) {}

  static async start(
    options: Partial<SMTPServerOptions> & { users?: Readonly<Record<string, string>> },
  ): Promise<MailSink> {
    const users = options.users;
    const mails: ReceivedMail[] = [];
    const server = new SMTPServer({
      logger: false,
      disabledCommands: users === undefined ? ['AUTH'] : [],
      authOptional: users === undefined,
      ...options,
      onAuth(auth, _session, callback) {
        if (
          users !== undefined &&
          auth.username !== undefined &&
          users[auth.username] === auth.password
        ) {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const { headers, body } = parseMessage(Buffer.concat(chunks).toString('utf8'));
          mails.push({
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            headers,
            body,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.server.address() as AddressInfo;
    return new MailSink(server, address.port, mails);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
