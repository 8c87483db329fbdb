import { readFileSync } from 'node:fs';
import type { EventFilesLocation } from '../../config/config.js';
import type { Logger } from '../../shared/logger.js';
import { DirectoryLocation } from './directory-location.js';
import type { FileLocation } from './location.js';
import { SftpLocation } from './sftp-location.js';

// The shared source of Responsys Connect export files (RESPONSYS_EVENT_FILES): Contact Event Data
// feeds for engagement (F2, F7) and profile-list exports for inbound profile changes (F4). Each
// consumer builds an InboundFileReader over the same location with its own `source` name and file
// filter, so the two never take each other's files.
//
//   const location = openFileLocation(config.responsys.eventFiles!, { logger });
//   const reader = new InboundFileReader({ location, store, source: 'responsys-ced',
//     accept: (file) => parseConnectFileName(file.name)?.feed === 'CLICK', logger });
//   await reader.readAll(async (chunk) => store.transaction(async (repos) => {
//     ...store chunk.rows...; await chunk.savePosition(repos.inboundFiles);
//   }));

export * from './connect-format.js';
export * from './delimited.js';
export * from './location.js';
export * from './reader.js';
export { DirectoryLocation } from './directory-location.js';
export { SftpLocation, hostKeyFingerprint, normaliseFingerprint } from './sftp-location.js';

export interface FileLocationOptions {
  /** PEM/OpenSSH private key for SFTP key authentication (Responsys-hosted SFTP uses keys) */
  privateKeyFile?: string;
  /** pin the SFTP server's host key: `SHA256:<base64>` */
  hostKeyFingerprint?: string;
  timeoutMs?: number;
  logger?: Logger;
}

export function openFileLocation(
  location: EventFilesLocation,
  options: FileLocationOptions = {},
): FileLocation {
  if (location.kind === 'directory') return new DirectoryLocation(location.path);
  return new SftpLocation({
    host: location.host,
    port: location.port,
    username: location.username,
    password: location.password,
    privateKey: options.privateKeyFile ? readFileSync(options.privateKeyFile) : undefined,
    path: location.path || '/',
    hostKeyFingerprint: options.hostKeyFingerprint,
    timeoutMs: options.timeoutMs,
    logger: options.logger,
  });
}
