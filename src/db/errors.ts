/** D1 reports a violated UNIQUE constraint only through its message. */
export const isUniqueViolation = (err: unknown) => err instanceof Error && /UNIQUE constraint failed/i.test(err.message);
