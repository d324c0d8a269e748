/**
 * Reads the commands a Redis client sends, from the raw byte stream: every client we run
 * (ioredis) sends RESP arrays of bulk strings, `*<n>\r\n` then n times `$<len>\r\n<bytes>\r\n`.
 * Only command names (and an EVALSHA's script hash) are kept; arguments are skipped.
 */
export interface ParsedCommand {
  name: string;
  /** The script hash of an EVALSHA, the script of an EVAL is named `EVAL`. */
  sha?: string;
}

export class RespCommandReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the commands completed by them. */
  feed(chunk: Buffer): ParsedCommand[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const commands: ParsedCommand[] = [];
    let offset = 0;
    for (;;) {
      const parsed = parseCommand(this.buffer, offset);
      if (!parsed) break;
      commands.push(parsed.command);
      offset = parsed.end;
    }
    this.buffer = offset === 0 ? this.buffer : this.buffer.subarray(offset);
    return commands;
  }
}

function readLine(buffer: Buffer, offset: number): { line: string; end: number } | undefined {
  const cr = buffer.indexOf('\r\n', offset, 'latin1');
  if (cr < 0) return undefined;
  return { line: buffer.toString('latin1', offset, cr), end: cr + 2 };
}

function parseCommand(buffer: Buffer, offset: number): { command: ParsedCommand; end: number } | undefined {
  if (offset >= buffer.length) return undefined;
  const header = readLine(buffer, offset);
  if (!header) return undefined;
  if (!header.line.startsWith('*')) {
    // An inline command (redis-cli, telnet): one line of words.
    return { command: { name: (header.line.trim().split(/\s+/)[0] ?? '').toUpperCase() }, end: header.end };
  }
  const count = Number(header.line.slice(1));
  let at = header.end;
  const firstTwo: string[] = [];
  for (let i = 0; i < count; i++) {
    const bulk = readLine(buffer, at);
    if (!bulk) return undefined;
    const length = Number(bulk.line.slice(1));
    const end = bulk.end + length + 2;
    if (end > buffer.length) return undefined;
    if (i < 2) firstTwo.push(buffer.toString('latin1', bulk.end, bulk.end + length));
    at = end;
  }
  const name = (firstTwo[0] ?? '').toUpperCase();
  return { command: name === 'EVALSHA' && firstTwo[1] ? { name, sha: firstTwo[1] } : { name }, end: at };
}
