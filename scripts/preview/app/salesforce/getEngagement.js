/**
 * Replaces `@salesforce/apex/ResponsysEngagementController.getEngagement` in the preview. Like the
 * platform, it works both imperatively and as a wire adapter, and, because the method is
 * cacheable, answers from a client-side cache until refreshApex goes back to the server.
 */
import { latencyMs, queryEngagement } from '../previewOrg.js';

const cache = new Map();
const adapterOfValue = new WeakMap();
const connectedAdapters = new Set();

function cacheKey({ recordId, filter, pageSize, cursor }) {
  return JSON.stringify([recordId ?? null, filter ?? null, pageSize ?? null, cursor ?? null]);
}

function callServer(params) {
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      try {
        resolve(queryEngagement(params));
      } catch (error) {
        reject(error);
      }
    }, latencyMs);
  });
}

async function fetchPage(params, { fresh }) {
  const key = cacheKey(params);
  if (!fresh && cache.has(key)) {
    return cache.get(key);
  }
  const data = await callServer(params);
  cache.set(key, data);
  return data;
}

export default function getEngagement(params = {}) {
  return fetchPage(params, { fresh: false });
}

class EngagementWireAdapter {
  constructor(dataCallback) {
    this.dataCallback = dataCallback;
    this.config = undefined;
    this.request = 0;
    this.lastJson = undefined;
  }

  connect() {
    connectedAdapters.add(this);
  }

  disconnect() {
    connectedAdapters.delete(this);
    this.request += 1;
  }

  update(config) {
    this.config = { ...config };
    // Like the platform, the wire waits until every reactive parameter has a value.
    if (Object.values(this.config).some((value) => value === undefined)) {
      return;
    }
    this.load({ fresh: false, always: true });
  }

  async load({ fresh, always }) {
    const request = ++this.request;
    let value;
    try {
      value = { data: await fetchPage(this.config, { fresh }), error: undefined };
    } catch (error) {
      value = { data: undefined, error };
    }
    // Only the answer to the latest configuration is provisioned.
    if (request !== this.request) {
      return;
    }
    const json = JSON.stringify(value);
    // refreshApex provisions again only when the data changed, as on the platform.
    if (always || json !== this.lastJson) {
      this.lastJson = json;
      adapterOfValue.set(value, this);
      this.dataCallback(value);
    }
  }

  refresh() {
    return this.load({ fresh: true, always: false });
  }
}

getEngagement.adapter = EngagementWireAdapter;

/** refreshApex for values this adapter provisioned. */
export function refreshProvisionedValue(value) {
  const adapter = value ? adapterOfValue.get(value) : undefined;
  if (adapter) {
    return adapter.refresh();
  }
  return Promise.all([...connectedAdapters].map((connected) => connected.refresh())).then(() => undefined);
}
