import type { ChildProcess } from "node:child_process";

export declare const wranglerEnv: NodeJS.ProcessEnv;
export declare function devVar(name: string): string | undefined;
export declare function applySchema(persistTo?: string): void;
export declare function startWrangler(
  port: number,
  options?: { vars?: Record<string, string>; stdio?: "inherit" | "ignore" | "pipe"; extraArgs?: string[] },
): ChildProcess;
export declare function isHealthy(base: string): Promise<boolean>;
export declare function waitForHealthy(base: string, timeoutMs?: number): Promise<void>;
export declare function operatorClient(
  base: string,
  adminToken?: string,
): (
  path: string,
  options?: { method?: string; body?: unknown; auth?: string; headers?: Record<string, string> },
) => Promise<{ status: number; headers: Headers; body: any }>;
export function freePort(): Promise<number>;
