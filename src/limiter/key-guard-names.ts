/** The name of the object that decides the keys of a pooled partner (DESIGN §10): the KeyGuard class, named by the partner. */
export const poolName = (partnerId: string) => `partner:${partnerId}`;
