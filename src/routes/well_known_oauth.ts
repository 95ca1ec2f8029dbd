import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../hono";
import { publicOrigin } from "../openapi";
import { json } from "../schemas/common";

/**
 * The scopes Keyward itself defines and enforces on its management API. Partners' own scopes are
 * free-form names (Partoo's permissions) and are not advertised: RFC 8414 §2 lets a server leave
 * scope values out, and one partner's scope names are no business of an anonymous caller.
 */
export const KEYWARD_SCOPES = ["keys:read", "keys:write", "keys:verify", "users:read", "users:write", "audit:read", "webhooks:read", "webhooks:write"] as const;

export const AuthorizationServerMetadataSchema = z
  .object({
    issuer: z.url().openapi({ example: "https://keys.example.com" }),
    token_endpoint: z.url().openapi({ example: "https://keys.example.com/oauth2/token" }),
    grant_types_supported: z.array(z.literal("client_credentials")),
    token_endpoint_auth_methods_supported: z.array(z.enum(["client_secret_basic", "client_secret_post"])),
    scopes_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()).openapi({ description: "Empty: there is no authorization endpoint." }),
  })
  .openapi("AuthorizationServerMetadata");

const route = createRoute({
  method: "get",
  path: "/.well-known/oauth-authorization-server",
  operationId: "getAuthorizationServerMetadata",
  tags: ["OAuth2"],
  summary: "OAuth 2.0 authorization server metadata (RFC 8414)",
  description:
    "`issuer` is the var PUBLIC_ORIGIN, else the origin the request arrived at. `scopes_supported` lists the scopes Keyward " +
    "defines; partners' own free-form scopes are valid too but not advertised.",
  responses: { 200: json(AuthorizationServerMetadataSchema, "The metadata.") },
});

export const registerWellKnownOAuth = (app: App) =>
  app.openapi(route, (c) => {
    const issuer = publicOrigin(c);
    c.header("Cache-Control", "public, max-age=3600");
    return c.json(
      {
        issuer,
        token_endpoint: `${issuer}/oauth2/token`,
        grant_types_supported: ["client_credentials" as const],
        token_endpoint_auth_methods_supported: ["client_secret_basic" as const, "client_secret_post" as const],
        scopes_supported: [...KEYWARD_SCOPES],
        response_types_supported: [],
      },
      200,
    );
  });
