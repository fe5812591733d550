export type { AlertChannelInput, AlertChannelRecord, ChannelFilter, ChannelKind, NotificationJob, AlertNotificationRecord } from '../store/alerting-types.js';
export type { AlertRecord } from '../store/store.js';
export type { OutboundPolicy } from '../delivery/ssrf.js';
