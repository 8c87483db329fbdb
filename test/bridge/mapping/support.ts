import type { FieldMapRecord, FieldMapSource } from '../../../bridge/src/mapping/field-map.js';
import { MappingEngine } from '../../../bridge/src/mapping/engine.js';
import type { ResponsysClient } from '../../../bridge/src/responsys/client.js';
import type { SalesforceClient } from '../../../bridge/src/salesforce/client.js';
import { SalesforceFieldMapSource } from '../../../bridge/src/salesforce/field-maps.js';
import { silentLogger, type Logger } from '../../../bridge/src/shared/logger.js';
import type { SalesforceEmulator } from '../../emulators/salesforce/index.js';
import { startClientRig, type ClientRig } from '../responsys/support.js';
import { emulatorClient, startEmulator } from '../salesforce/support.js';

// Both emulators, the real connectors, and mapping engines over them: the shipped field maps as the
// Salesforce connector loads them, or maps an admin might write (with Salesforce's real describe).

export interface MappingRig {
  salesforce: SalesforceEmulator;
  salesforceClient: SalesforceClient;
  fieldMaps: SalesforceFieldMapSource;
  responsys: ClientRig;
  responsysClient: ResponsysClient;
  /** an engine over the field maps Salesforce holds (the package's defaults) */
  engine(options?: { logger?: Logger }): MappingEngine;
  /** an engine over these records, described by the real Salesforce */
  engineFor(records: FieldMapRecord[], options?: { logger?: Logger }): MappingEngine;
  close(): Promise<void>;
}

export async function startMappingRig(): Promise<MappingRig> {
  const salesforce = await startEmulator();
  const responsys = await startClientRig({ emulator: { demoData: true } });
  const salesforceClient = emulatorClient(salesforce);
  const fieldMaps = new SalesforceFieldMapSource(salesforceClient);
  const engineWith = (source: FieldMapSource, logger: Logger = silentLogger()) =>
    new MappingEngine({ salesforce: source, responsys: responsys.client, logger });
  return {
    salesforce,
    salesforceClient,
    fieldMaps,
    responsys,
    responsysClient: responsys.client,
    engine: (options = {}) => engineWith(fieldMaps, options.logger),
    engineFor: (records, options = {}) =>
      engineWith(
        {
          loadFieldMaps: () => Promise.resolve(records),
          describeFields: (objectName) => fieldMaps.describeFields(objectName),
        },
        options.logger,
      ),
    async close() {
      await responsys.close();
      await salesforce.close();
    },
  };
}

/** A field map record as an admin would create it in Setup. */
export function fieldMap(
  name: string,
  object: string,
  salesforceField: string,
  responsysColumn: string,
  options: Partial<FieldMapRecord> = {},
): FieldMapRecord {
  return {
    name,
    label: name.replace(/_/g, ' '),
    object,
    salesforceField,
    responsysColumn,
    target: 'PROFILE_LIST',
    direction: 'Outbound',
    transform: null,
    active: true,
    ...options,
  };
}
