import type { App } from "../app";
import { registerHealthz } from "./healthz";
import { registerOAuth2Token } from "./oauth2_token";
import { registerFlexFactor } from "./seed_flexfactor";
import { registerFlexslot } from "./seed_flexslot";
import { registerMineSkin } from "./seed_mineskin";
import { registerKeysVerify } from "./v1_keys_verify";
import { registerAuditEventsList } from "./v1_audit_events_list";
import { registerKeysCreate } from "./v1_keys_create";
import { registerKeysGet } from "./v1_keys_get";
import { registerKeysList } from "./v1_keys_list";
import { registerKeysRevoke } from "./v1_keys_revoke";
import { registerKeysRotate } from "./v1_keys_rotate";
import { registerKeysUpdate } from "./v1_keys_update";
import { registerMeKey } from "./v1_me_key";
import { registerMePartner } from "./v1_me_partner";
import { registerPartnersCreate } from "./v1_partners_create";
import { registerPartnersGet } from "./v1_partners_get";
import { registerPartnersList } from "./v1_partners_list";
import { registerPartnersUpdate } from "./v1_partners_update";
import { registerUsersCreate } from "./v1_users_create";
import { registerUsersGet } from "./v1_users_get";
import { registerUsersList } from "./v1_users_list";

export function registerRoutes(app: App): void {
  registerHealthz(app);
  registerPartnersCreate(app);
  registerPartnersList(app);
  registerPartnersGet(app);
  registerPartnersUpdate(app);
  registerUsersCreate(app);
  registerUsersList(app);
  registerUsersGet(app);
  // Before /v1/keys/{key_id} routes, so "verify" is never taken for a key id.
  registerKeysVerify(app);
  registerKeysCreate(app);
  registerKeysList(app);
  registerKeysGet(app);
  registerKeysUpdate(app);
  registerKeysRotate(app);
  registerKeysRevoke(app);
  registerMeKey(app);
  registerMePartner(app);
  registerAuditEventsList(app);
  registerOAuth2Token(app);
  registerFlexslot(app);
  registerMineSkin(app);
  registerFlexFactor(app);
}
