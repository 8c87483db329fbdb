// Queue and task names of the flows from Responsys to Salesforce, shared by their modules and CLI.

/** writes stored engagement to Salesforce in large batches */
export const APPLY_ENGAGEMENT_TASK = 'f2-apply-engagement';
/** reads the Contact Event Data folder now (it is also polled) */
export const READ_EVENT_FILES_TASK = 'f2-read-event-files';
/** deletes engagement records past the retention period */
export const PURGE_ENGAGEMENT_TASK = 'f2-purge-engagement';
/** rewrites engagement scores that decayed since they were written */
export const REFRESH_SCORES_TASK = 'f2-refresh-engagement-scores';

/** status rules on Leads with new engagement */
export const LEAD_STATUS_FLOW = 'f5-lead-status';

/** opt-outs and opt-ins from Responsys to every matching Lead and Contact */
export const OPT_OUTS_INBOUND_FLOW = 'f7-opt-outs-inbound';
/** compares opt-outs on both sides and heals drift */
export const RECONCILE_OPT_OUTS_TASK = 'f7-reconcile-opt-outs';

/** objectType of queued work about a Responsys recipient (recordId is the RIID) */
export const RECIPIENT_OBJECT = 'ResponsysRecipient';
