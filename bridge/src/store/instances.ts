import type { Queryable } from './database.js';

// The bridge processes sharing this database, each with a heartbeat, for the status API.

export interface BridgeInstance {
  instanceId: string;
  host: string;
  pid: number;
  version: string;
  startedAt: Date;
  heartbeatAt: Date;
}

interface Row {
  instance_id: string;
  host: string;
  pid: number;
  version: string;
  started_at: Date;
  heartbeat_at: Date;
}

export class Instances {
  constructor(private readonly db: Queryable) {}

  async heartbeat(instance: Omit<BridgeInstance, 'heartbeatAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO bridge.instances (instance_id, host, pid, version, started_at, heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (instance_id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
         version = EXCLUDED.version, started_at = EXCLUDED.started_at, heartbeat_at = now()`,
      [instance.instanceId, instance.host, instance.pid, instance.version, instance.startedAt.toISOString()],
    );
  }

  /** Instances seen within `withinSeconds`; older rows are forgotten. */
  async alive(withinSeconds: number): Promise<BridgeInstance[]> {
    await this.db.query(
      `DELETE FROM bridge.instances WHERE heartbeat_at < now() - make_interval(secs => $1 * 10)`,
      [withinSeconds],
    );
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.instances WHERE heartbeat_at >= now() - make_interval(secs => $1) ORDER BY started_at`,
      [withinSeconds],
    );
    return rows.map((row) => ({
      instanceId: row.instance_id,
      host: row.host,
      pid: row.pid,
      version: row.version,
      startedAt: row.started_at,
      heartbeatAt: row.heartbeat_at,
    }));
  }

  async remove(instanceId: string): Promise<void> {
    await this.db.query('DELETE FROM bridge.instances WHERE instance_id = $1', [instanceId]);
  }
}
