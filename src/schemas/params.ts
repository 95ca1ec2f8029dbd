import { z } from "@hono/zod-openapi";
import { KeyId, PartnerId, UserId } from "./common";

/** Path parameters shared by the routes of one object. */
export const PartnerParams = z.object({ partner_id: PartnerId });
export const KeyParams = z.object({ key_id: KeyId });
export const UserParams = z.object({ user_id: UserId });
