import type { Readable } from 'node:stream';

// Lines of a byte stream with the byte offset where each one ends, so that reading can resume exactly
// after the last line whose work was saved. `\n` and `\r\n` endings; a last line without an ending
// counts. Lines are split on bytes (0x0A never occurs inside a UTF-8 character), then decoded.

export interface Line {
  text: string;
  /** byte offset just after this line's ending, from the start of the file */
  endOffset: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export async function* readLines(stream: Readable, startOffset = 0): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let offset = startOffset;
  let first = startOffset === 0;
  const decode = (bytes: Buffer): string => {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CARRIAGE_RETURN) end -= 1;
    let text = bytes.toString('utf8', 0, end);
    // A UTF-8 byte order mark at the very start of the file is not part of the first column name.
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let start = 0;
      for (let index = buffer.indexOf(NEWLINE, start); index !== -1; index = buffer.indexOf(NEWLINE, start)) {
        const piece = buffer.subarray(start, index);
        const bytes = pendingLength > 0 ? Buffer.concat([...pending, piece]) : piece;
        offset += bytes.length + 1;
        pending = [];
        pendingLength = 0;
        yield { text: decode(bytes), endOffset: offset };
        start = index + 1;
      }
      if (start < buffer.length) {
        pending.push(buffer.subarray(start));
        pendingLength += buffer.length - start;
      }
    }
    if (pendingLength > 0) {
      const bytes = Buffer.concat(pending);
      offset += bytes.length;
      yield { text: decode(bytes), endOffset: offset };
    }
  } finally {
    // Stopping early leaves reads in flight (SFTP); their late errors must not go unheard.
    stream.on('error', () => undefined);
    stream.destroy();
  }
}
