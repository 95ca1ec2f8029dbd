import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { App } from "../app";
import { authenticate } from "../auth/authenticate";
import type { KeyAuthRecord } from "../db/keys";
import type { AppEnv } from "../env";
import { invalidApiKey } from "../lib/problem";
import { errorResponses, json } from "../schemas/common";
import { PartnerSchema, serializePartner } from "../schemas/partner";
import { keyOnly } from "./security";

/** The authenticated key's record; routes behind `authenticate({ accept: "key" })` always have one. */
export function callingKey(c: Context<AppEnv>): KeyAuthRecord {
  const principal = c.get("principal");
  if (principal.kind !== "key") throw invalidApiKey();
  return principal.auth;
}

const route = createRoute({
  method: "get",
  path: "/v1/me/partner",
  operationId: "getMyPartner",
  tags: ["Introspection"],
  summary: "The calling key's partner",
  security: keyOnly,
  middleware: [authenticate({ accept: "key" })] as const,
  responses: { 200: json(PartnerSchema, "The partner that owns the calling key."), ...errorResponses },
});

export const registerMePartner = (app: App) => app.openapi(route, (c) => c.json(serializePartner(callingKey(c).partner), 200));
