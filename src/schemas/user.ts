import { z } from "@hono/zod-openapi";
import { USER_KINDS, USER_STATUSES, type User } from "../db/users";
import { Email, ScopeList, Text, Timestamp } from "./common";

export const UserKind = z.enum(USER_KINDS);
export const UserStatus = z.enum(USER_STATUSES).openapi({
  description: "`deactivated`: the user's keys, and access tokens minted from them, are refused (401) from the next request on.",
});

export const UserSchema = z
  .object({
    id: z.string(),
    partner_id: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    name: z.string(),
    email: z.string(),
    role: z.string(),
    kind: UserKind,
    permissions: z.array(z.string()),
    status: UserStatus,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("User");

const Role = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, "Roles are letters, digits and _")
  .openapi({ example: "BUSINESS_MANAGER" });

export const UserCreateSchema = z
  .strictObject({
    first_name: Text(100, { min: 1, trim: true }),
    last_name: Text(100, { trim: true }),
    email: Email,
    role: Role,
    kind: UserKind.default("user"),
    permissions: ScopeList.default([]),
  })
  .openapi("UserCreate");

/** `PATCH /v1/users/{user_id}`: what may change about a user, by the same rules as on create. */
export const UserPatchSchema = z
  .strictObject({
    permissions: ScopeList,
    role: Role,
    status: UserStatus,
  })
  .partial()
  .openapi("UserPatch");

export const fullName = (u: Pick<User, "first_name" | "last_name">) => `${u.first_name} ${u.last_name}`.trim();

export const serializeUser = (u: User): z.infer<typeof UserSchema> => ({
  id: u.id,
  partner_id: u.partner_id,
  first_name: u.first_name,
  last_name: u.last_name,
  name: fullName(u),
  email: u.email,
  role: u.role,
  kind: u.kind,
  permissions: u.permissions,
  status: u.status,
  created_at: u.created_at,
  updated_at: u.updated_at,
});
