import type { Queryable } from './database.js';

// Reading progress of inbound files (Responsys Contact Event Data exports, profile exports): a file
// is read once, and a crash in the middle resumes after the last line that was durably queued.

export type InboundFileStatus = 'reading' | 'done' | 'failed';

export interface InboundFileProgress {
  source: string;
  fileName: string;
  fileSize: number | null;
  linesDone: number;
  byteOffset: number;
  status: InboundFileStatus;
  error: string | null;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

interface Row {
  source: string;
  file_name: string;
  file_size: number | null;
  lines_done: number;
  byte_offset: number;
  status: InboundFileStatus;
  error: string | null;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const toProgress = (row: Row): InboundFileProgress => ({
  source: row.source,
  fileName: row.file_name,
  fileSize: row.file_size,
  linesDone: row.lines_done,
  byteOffset: row.byte_offset,
  status: row.status,
  error: row.error,
  startedAt: row.started_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
});

export class InboundFiles {
  constructor(private readonly db: Queryable) {}

  async get(source: string, fileName: string): Promise<InboundFileProgress | undefined> {
    const { rows } = await this.db.query<Row>(
      'SELECT * FROM bridge.inbound_files WHERE source = $1 AND file_name = $2',
      [source, fileName],
    );
    return rows[0] && toProgress(rows[0]);
  }

  /** Starts (or resumes) a file and returns where reading should continue. */
  async begin(source: string, fileName: string, fileSize?: number): Promise<InboundFileProgress> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO bridge.inbound_files (source, file_name, file_size) VALUES ($1, $2, $3)
       ON CONFLICT (source, file_name) DO UPDATE SET
         file_size = COALESCE(EXCLUDED.file_size, bridge.inbound_files.file_size),
         status = CASE WHEN bridge.inbound_files.status = 'failed' THEN 'reading' ELSE bridge.inbound_files.status END,
         updated_at = now()
       RETURNING *`,
      [source, fileName, fileSize ?? null],
    );
    return toProgress(rows[0]!);
  }

  /** Records that every line up to `linesDone` (ending at `byteOffset`) is durably queued. */
  async advance(
    source: string,
    fileName: string,
    position: { linesDone: number; byteOffset?: number },
  ): Promise<void> {
    await this.db.query(
      `UPDATE bridge.inbound_files SET lines_done = GREATEST(lines_done, $3),
         byte_offset = GREATEST(byte_offset, $4), updated_at = now()
       WHERE source = $1 AND file_name = $2`,
      [source, fileName, position.linesDone, position.byteOffset ?? 0],
    );
  }

  async complete(source: string, fileName: string): Promise<void> {
    await this.db.query(
      `UPDATE bridge.inbound_files SET status = 'done', error = NULL, finished_at = now(), updated_at = now()
       WHERE source = $1 AND file_name = $2`,
      [source, fileName],
    );
  }

  async fail(source: string, fileName: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE bridge.inbound_files SET status = 'failed', error = $3, updated_at = now()
       WHERE source = $1 AND file_name = $2`,
      [source, fileName, error.slice(0, 2000)],
    );
  }

  async list(source: string, status?: InboundFileStatus): Promise<InboundFileProgress[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.inbound_files WHERE source = $1 AND ($2::text IS NULL OR status = $2)
       ORDER BY file_name`,
      [source, status ?? null],
    );
    return rows.map(toProgress);
  }

  /** Names of the files of `source` that were read completely. */
  async doneFileNames(source: string): Promise<Set<string>> {
    const { rows } = await this.db.query<{ file_name: string }>(
      `SELECT file_name FROM bridge.inbound_files WHERE source = $1 AND status = 'done'`,
      [source],
    );
    return new Set(rows.map((row) => row.file_name));
  }
}
