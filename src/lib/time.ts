export const nowIso = (now = Date.now()) => new Date(now).toISOString();
export const isPast = (iso: string | null, now = Date.now()) => iso !== null && Date.parse(iso) <= now;
