import { systemClock, type Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { InboundFiles } from '../../store/inbound-files.js';
import type { Watermarks } from '../../store/watermarks.js';
import { parseConnectFileName } from './connect-format.js';
import {
  detectDelimiter,
  looksLikeHeader,
  normaliseColumnName,
  parseDelimitedRecord,
  type ConnectDelimiter,
} from './delimited.js';
import { readLines, type Line } from './line-reader.js';
import type { FileLocation, RemoteFile } from './location.js';

// Reads Connect export files (Contact Event Data feeds, profile-list exports) from a FileLocation,
// each file once, in chunks of rows that the consumer stores durably together with the reading
// position (`chunk.position`, saved with `InboundFiles.advance` in the consumer's transaction). After
// a crash, reading resumes at the saved byte offset; nothing is read twice that was saved, and nothing
// saved is lost. Columns are found by header name (any documented delimiter); a file without a header
// row is read with the documented column order the consumer gives. One malformed row never sinks the
// file: it comes with a `problem` for the consumer to keep and report.
//
// Readiness: a file is taken when its `.ready` marker exists, or, for folders without markers, once it
// has not changed for `settleMs`. In `auto` mode the reader switches to markers for good the first
// time it sees one in the folder (Connect jobs either always write them or never do).

export type ReadyMarkers = 'auto' | 'required' | 'off';
export type AfterRead = 'move' | 'keep' | 'delete';

export interface InboundFileReaderOptions {
  location: FileLocation;
  /** reading progress (the store's `inboundFiles`), and named positions for the marker switch */
  store: { inboundFiles: InboundFiles; watermarks: Watermarks };
  /** the name this reader's files are tracked under, e.g. `responsys-ced` */
  source: string;
  /** which files of the folder this reader takes (markers are handled by the reader) */
  accept(file: RemoteFile): boolean;
  /** reading order (default: export time in the Connect file name, then name) */
  order?(a: RemoteFile, b: RemoteFile): number;
  readyMarkers?: ReadyMarkers;
  /** a file without marker is taken once unchanged for this long (default 10 s) */
  settleMs?: number;
  /** what happens to a file read completely (default: moved to `processed/`) */
  afterRead?: AfterRead;
  processedFolder?: string;
  /** files that cannot be read at all go here when files are moved (default `failed`) */
  failedFolder?: string;
  /** rows per chunk handed to the consumer (default 1000) */
  chunkRows?: number;
  /** the documented columns of a file, to recognise its header row or read a file without one */
  documentedColumns?(file: RemoteFile): readonly string[] | undefined;
  logger: Logger;
  clock?: Clock;
}

export interface FileRow {
  /** physical line number in the file (1-based; the header is line 1 when there is one) */
  line: number;
  /** values by column name (upper case) */
  values: Record<string, string>;
  /** why the row cannot be read as it should (wrong number of values, unclosed quote) */
  problem?: string;
  /** the row as it was in the file, for rows with a problem */
  raw?: string;
}

export interface ReadingPosition {
  /** lines of the file consumed so far, header included */
  linesDone: number;
  byteOffset: number;
}

export interface FileChunk {
  source: string;
  file: RemoteFile;
  columns: string[];
  delimiter: ConnectDelimiter;
  hasHeader: boolean;
  rows: FileRow[];
  /** where reading stands after this chunk: save it with the chunk's work */
  position: ReadingPosition;
  /** Saves `position` (call it inside the transaction that stores the rows). */
  savePosition(inboundFiles: InboundFiles): Promise<void>;
}

export interface FileReadResult {
  file: string;
  status: 'done' | 'stopped' | 'failed' | 'skipped';
  rows: number;
  problems: number;
  /** the line reading started after (0 for a fresh file) */
  resumedAfterLine: number;
  error?: string;
}

/** A file that cannot be read at all (no columns, unknown layout): retrying will not help. */
export class FileFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileFormatError';
  }
}

const MAX_RECORD_LINES = 1000;
const MAX_RECORD_CHARS = 1_000_000;

const markerNamesOf = (name: string): string[] => [`${name.replace(/\.[^.]+$/, '')}.ready`, `${name}.ready`];
const isMarker = (name: string) => name.toLowerCase().endsWith('.ready');

/** Export time from the Connect file name, then the name: the order Connect wrote the files in. */
export function connectFileOrder(a: RemoteFile, b: RemoteFile): number {
  const at = parseConnectFileName(a.name)?.exportedAt.getTime() ?? a.modifiedAt.getTime();
  const bt = parseConnectFileName(b.name)?.exportedAt.getTime() ?? b.modifiedAt.getTime();
  return at - bt || a.name.localeCompare(b.name);
}

export class InboundFileReader {
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: InboundFileReaderOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'file-reader', source: options.source });
  }

  get source(): string {
    return this.options.source;
  }

  get location(): FileLocation {
    return this.options.location;
  }

  private get markersWatermark(): string {
    return `files:${this.options.source}:ready-markers`;
  }

  /** Files ready to be read now (not read before, complete), in reading order. */
  async readyFiles(): Promise<RemoteFile[]> {
    const { options } = this;
    const listing = await options.location.list();
    const markers = new Set(listing.filter((file) => isMarker(file.name)).map((file) => file.name));
    const mode = options.readyMarkers ?? 'auto';
    let useMarkers = mode === 'required';
    if (mode === 'auto') {
      useMarkers = (await options.store.watermarks.get(this.markersWatermark)) === 'seen';
      if (!useMarkers && markers.size > 0) {
        await options.store.watermarks.set(this.markersWatermark, 'seen');
        this.log.info('the export folder has .ready markers: files are read only once their marker exists');
        useMarkers = true;
      }
    }
    const [done, failed] = await Promise.all([
      options.store.inboundFiles.doneFileNames(options.source),
      options.store.inboundFiles.list(options.source, 'failed'),
    ]);
    const failedNames = new Set(failed.map((file) => file.fileName));
    const settleMs = options.settleMs ?? 10_000;
    const now = this.clock.now().getTime();
    return listing
      .filter((file) => !isMarker(file.name) && options.accept(file))
      .filter((file) => !done.has(file.name) && !failedNames.has(file.name))
      .filter((file) =>
        useMarkers
          ? markerNamesOf(file.name).some((marker) => markers.has(marker))
          : now - file.modifiedAt.getTime() >= settleMs,
      )
      .sort(options.order ?? connectFileOrder);
  }

  /** Reads every ready file, in order. Stops early (between chunks) when `signal` aborts. */
  async readAll(
    handler: (chunk: FileChunk) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<FileReadResult[]> {
    const results: FileReadResult[] = [];
    for (const file of await this.readyFiles()) {
      if (signal?.aborted) break;
      const result = await this.readFile(file, handler, signal);
      results.push(result);
      if (result.status === 'stopped') break;
    }
    return results;
  }

  /**
   * Reads one file from where its saved progress stands, handing chunks of rows to `handler`. A
   * handler error stops reading (the error is thrown; the file resumes at the last saved position next
   * time); a file that cannot be read at all is marked failed and set aside.
   */
  async readFile(
    file: RemoteFile,
    handler: (chunk: FileChunk) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<FileReadResult> {
    const { options } = this;
    const { inboundFiles } = options.store;
    const progress = await inboundFiles.begin(options.source, file.name, file.size);
    const base = { file: file.name, rows: 0, problems: 0, resumedAfterLine: progress.linesDone };
    if (progress.status === 'done') return { ...base, status: 'skipped' };
    const log = this.log.child({ file: file.name });
    if (progress.byteOffset > file.size) {
      return this.failFile(
        file,
        base,
        new FileFormatError(
          `the file is shorter (${file.size} bytes) than the part already read (${progress.byteOffset} bytes): it was replaced after reading started`,
        ),
      );
    }
    if (progress.linesDone > 0) {
      log.info(
        { linesDone: progress.linesDone, byteOffset: progress.byteOffset },
        'resuming a file read in part',
      );
    }

    let rows = 0;
    let problems = 0;
    try {
      const layout = await this.layoutOf(file);
      // Without a header the first data row starts at 0; with one, after the header line.
      const start =
        progress.byteOffset > 0 ? progress.byteOffset : layout.hasHeader ? layout.headerEndOffset : 0;
      let linesDone = progress.byteOffset > 0 ? progress.linesDone : layout.hasHeader ? 1 : 0;
      let byteOffset = start;
      let batch: FileRow[] = [];
      const chunkRows = options.chunkRows ?? 1000;
      const flush = async () => {
        const position = { linesDone, byteOffset };
        const chunk: FileChunk = {
          source: options.source,
          file,
          columns: layout.columns,
          delimiter: layout.delimiter,
          hasHeader: layout.hasHeader,
          rows: batch,
          position,
          savePosition: (repo) => repo.advance(options.source, file.name, position),
        };
        batch = [];
        await handler(chunk);
        await inboundFiles.advance(options.source, file.name, position);
      };

      let record: { firstLine: number; lines: string[]; chars: number } | undefined;
      const stream = await options.location.read(file.name, start);
      for await (const line of readLines(stream, start)) {
        linesDone += 1;
        byteOffset = line.endOffset;
        if (!record && line.text.trim() === '') continue;
        record ??= { firstLine: linesDone, lines: [], chars: 0 };
        record.lines.push(line.text);
        record.chars += line.text.length;
        const text = record.lines.join('\n');
        const parsed = parseDelimitedRecord(text, layout.delimiter);
        if (!parsed.complete) {
          if (record.lines.length < MAX_RECORD_LINES && record.chars < MAX_RECORD_CHARS) continue;
          batch.push({
            line: record.firstLine,
            values: {},
            problem: 'a quoted value is never closed',
            raw: text.slice(0, 2000),
          });
        } else {
          batch.push(toRow(record.firstLine, parsed.values, layout.columns, text));
        }
        const last = batch[batch.length - 1]!;
        rows += 1;
        if (last.problem) problems += 1;
        record = undefined;
        if (batch.length >= chunkRows) {
          await flush();
          if (signal?.aborted) {
            log.info({ linesDone }, 'stopped reading between chunks (shutting down)');
            return { ...base, status: 'stopped', rows, problems };
          }
        }
      }
      if (record) {
        batch.push({
          line: record.firstLine,
          values: {},
          problem: 'the file ends inside a quoted value',
          raw: record.lines.join('\n').slice(0, 2000),
        });
        rows += 1;
        problems += 1;
      }
      if (batch.length > 0) await flush();
      await inboundFiles.complete(options.source, file.name);
    } catch (error) {
      if (error instanceof FileFormatError) return this.failFile(file, { ...base, rows, problems }, error);
      throw error;
    }
    log.info({ rows, problems, resumedAfterLine: progress.linesDone }, 'file read');
    await this.setAside(file, options.processedFolder ?? 'processed');
    return { ...base, status: 'done', rows, problems };
  }

  private async layoutOf(file: RemoteFile): Promise<{
    columns: string[];
    delimiter: ConnectDelimiter;
    hasHeader: boolean;
    headerEndOffset: number;
  }> {
    const documented = this.options.documentedColumns?.(file)?.map(normaliseColumnName);
    const firstLine = await this.firstLine(file);
    if (!firstLine) {
      if (!documented) throw new FileFormatError('the file is empty and its columns are not known');
      return { columns: documented, delimiter: ',', hasHeader: false, headerEndOffset: 0 };
    }
    const delimiter = detectDelimiter(firstLine.text);
    const parsed = parseDelimitedRecord(firstLine.text, delimiter);
    const values = parsed.complete ? parsed.values : [];
    if (looksLikeHeader(values, documented ?? [])) {
      const columns = values.map(normaliseColumnName);
      const duplicate = columns.find((name, index) => columns.indexOf(name) !== index);
      if (duplicate) throw new FileFormatError(`the header names column ${duplicate} twice`);
      return { columns, delimiter, hasHeader: true, headerEndOffset: firstLine.endOffset };
    }
    if (!documented) {
      throw new FileFormatError(
        'the first line is not a header row and the column order of this file is not known',
      );
    }
    // No header: the documented order. The delimiter is the one that yields that many values.
    const byCount = (['\t', '|', ';', ','] as const).find((candidate) => {
      const split = parseDelimitedRecord(firstLine.text, candidate);
      return split.complete && split.values.length === documented.length;
    });
    this.log.warn(
      { file: file.name, columns: documented.length },
      'file without a header row: reading it with the documented column order',
    );
    return { columns: documented, delimiter: byCount ?? delimiter, hasHeader: false, headerEndOffset: 0 };
  }

  private async firstLine(file: RemoteFile): Promise<Line | undefined> {
    const stream = await this.options.location.read(file.name, 0);
    for await (const line of readLines(stream, 0)) {
      if (line.text.trim() !== '') return line;
    }
    return undefined;
  }

  private async failFile(
    file: RemoteFile,
    base: Omit<FileReadResult, 'status'>,
    error: Error,
  ): Promise<FileReadResult> {
    const message = errorMessage(error);
    this.log.error({ file: file.name }, `cannot read ${file.name}: ${message}`);
    await this.options.store.inboundFiles.fail(this.options.source, file.name, message);
    await this.setAside(file, this.options.failedFolder ?? 'failed');
    return { ...base, status: 'failed', error: message };
  }

  /** Moves (or deletes) a file and its marker once it needs no more reading. */
  private async setAside(file: RemoteFile, folder: string): Promise<void> {
    const afterRead = this.options.afterRead ?? 'move';
    if (afterRead === 'keep') return;
    const { location } = this.options;
    const names = [file.name, ...markerNamesOf(file.name)];
    const present = new Set((await location.list().catch(() => [])).map((entry) => entry.name));
    for (const name of names) {
      if (name !== file.name && !present.has(name)) continue;
      try {
        if (afterRead === 'move') await location.moveToFolder(name, folder);
        else await location.remove(name);
      } catch (error) {
        // The store already knows the file was read; it is never read again, only left in place.
        this.log.warn(
          { file: name },
          `could not ${afterRead} ${name} in ${location.description}: ${errorMessage(error)}`,
        );
      }
    }
  }
}

function toRow(line: number, values: string[], columns: readonly string[], raw: string): FileRow {
  const row: Record<string, string> = {};
  columns.forEach((column, index) => {
    row[column] = values[index] ?? '';
  });
  if (values.length !== columns.length) {
    return {
      line,
      values: row,
      problem: `expected ${columns.length} values, found ${values.length}`,
      raw: raw.slice(0, 2000),
    };
  }
  return { line, values: row };
}
