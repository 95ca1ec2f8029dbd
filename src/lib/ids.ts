import { randomBase62 } from "./encoding";

/** Public ids: a type prefix a human can read, then CSPRNG base62. Partners use UUIDs per the contract. */
export const newPartnerId = () => crypto.randomUUID();
export const newUserId = () => `usr_${randomBase62(16)}`;
export const newAuditEventId = () => `evt_${randomBase62(20)}`;
export const newWebhookId = () => `whk_${randomBase62(20)}`;
