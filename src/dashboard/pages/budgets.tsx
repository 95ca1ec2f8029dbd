import { rateLimitTiers, type Tier } from "../../config";
import type { Bindings } from "../../env";
import type { Problem } from "../types";
import { describedBy, FieldErrors, When, type DetailRow } from "../ui";

// DESIGN §10 in the dashboard: tiers of several limits, a partner's rate-limit scope, and the
// credits and refills of partners and keys. The pages show them and forward the operator's
// changes to PATCH /v1/partners/{id} and /v1/keys/{id}; the rules (who may, what is valid) are the API's.

export interface Refill {
  amount: number;
  interval: "day" | "month";
  day_of_month?: number;
}

/** What a partner or key holds of its budget, as the API serializes it. */
export interface Budget {
  credits_remaining: number | null;
  credits_refill: Refill | null;
  credits_refilled_at: string | null;
}

const count = (n: number) => n.toLocaleString("en-US");

const WINDOW_UNITS: Record<number, string> = { 1: "s", 60: "min", 3600: "h", 86_400: "day" };
const per = (seconds: number) => WINDOW_UNITS[seconds] ?? `${count(seconds)} s`;

/** Every limit of a tier: "burst 5/s · minute 20/min"; a single limit named by its tier is just "1,000/min". */
export function tierLimits(name: string, tier: Tier): string {
  return tier.limits.map((l) => `${tier.limits.length === 1 && l.name === name ? "" : `${l.name} `}${count(l.limit)}/${per(l.window_seconds)}`).join(" · ");
}

/** A tier as shown or picked: its name and every limit; a name no longer configured, alone. */
export function tierText(env: Pick<Bindings, "RATE_LIMIT_TIERS">, name: string): string {
  const tiers = rateLimitTiers(env);
  return Object.hasOwn(tiers, name) ? `${name} — ${tierLimits(name, tiers[name]!)}` : name;
}

/** The tier picker's options (create partner, a partner's tier). */
export function TierOptions({ env, selected }: { env: Pick<Bindings, "RATE_LIMIT_TIERS">; selected: string | null | undefined }) {
  return (
    <>
      {Object.keys(rateLimitTiers(env)).map((name) => (
        <option value={name} selected={selected === name}>
          {tierText(env, name)}
        </option>
      ))}
    </>
  );
}

/** What a partner's `rate_limit_scope` means, in one sentence each. */
export const SCOPE_TEXT: Record<"key" | "partner", { label: string; means: string }> = {
  key: { label: "Per key", means: "Per key (the default): each key counts in its own windows of its tier." },
  partner: { label: "Shared by the partner", means: "Shared by the partner: all its keys share the windows of the partner's tier (a key's own tier still caps that key)." },
};

export function refillText(refill: Refill | null): string {
  if (!refill) return "None";
  const when = refill.interval === "day" ? "every day" : `on day ${refill.day_of_month ?? 1} of each month`;
  return `Up to ${count(refill.amount)} ${when} (00:00 UTC)`;
}

/** The budget's facts, for a details card. */
export function budgetRows(budget: Budget, creditsLabel = "Credits"): DetailRow[] {
  return [
    [creditsLabel, budget.credits_remaining === null ? "Unlimited" : count(budget.credits_remaining)],
    ["Credit refill", refillText(budget.credits_refill)],
    ["Last refilled", <When at={budget.credits_refilled_at} empty="Not yet" />],
  ];
}

/** The budget form as submitted (or as the current values). */
export interface BudgetForm {
  rate_limit_scope?: string;
  credits_remaining: string;
  refill_amount: string;
  refill_interval: string;
  refill_day: string;
}

export const budgetFormOf = (b: Budget & { rate_limit_scope?: string }): BudgetForm => ({
  rate_limit_scope: b.rate_limit_scope,
  credits_remaining: b.credits_remaining === null ? "" : String(b.credits_remaining),
  refill_amount: b.credits_refill ? String(b.credits_refill.amount) : "",
  refill_interval: b.credits_refill?.interval ?? "",
  refill_day: b.credits_refill?.day_of_month === undefined ? "" : String(b.credits_refill.day_of_month),
});

/** A number typed in a form: blank is undefined, digits a number, anything else as typed (the API says what is wrong with it). */
const numberOf = (text: string): number | string | undefined => (text === "" ? undefined : /^-?\d+$/.test(text) ? Number(text) : text);

/**
 * The PATCH a submitted budget form asks for: only what differs from `current` (sending a refill
 * again would restart its schedule; a blank balance with a new refill lets the API start it full).
 */
export function budgetPatch(form: BudgetForm, current: Budget & { rate_limit_scope?: string }): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (form.rate_limit_scope && form.rate_limit_scope !== current.rate_limit_scope) patch.rate_limit_scope = form.rate_limit_scope;
  const credits = numberOf(form.credits_remaining) ?? null;
  if (credits !== current.credits_remaining) patch.credits_remaining = credits;
  const refill = form.refill_interval
    ? { amount: numberOf(form.refill_amount), interval: form.refill_interval, ...(form.refill_day ? { day_of_month: numberOf(form.refill_day) } : {}) }
    : null;
  if (JSON.stringify(refill) !== JSON.stringify(current.credits_refill)) patch.credits_refill = refill;
  return patch;
}

const REFILL_PARTS: Record<string, string> = { amount: "Amount", interval: "Interval", day_of_month: "Day of month" };

/** The API's errors about `credits_refill`, each naming the part of the refill it is about. */
function RefillErrors({ problem }: { problem?: Problem | null }) {
  const errors = problem?.errors?.filter((e) => e.path.split(".")[0] === "credits_refill") ?? [];
  if (errors.length === 0) return null;
  return (
    <ul class="field-errors" id="credits_refill-errors">
      {errors.map((e) => {
        const part = REFILL_PARTS[e.path.split(".")[1] ?? ""];
        return <li>{part ? `${part}: ${e.message}` : e.message}</li>;
      })}
    </ul>
  );
}

/**
 * The operator's budget form: the scope (a partner's only), the balance and its refill. `id`
 * prefixes the inputs' ids, unique on the page.
 */
export function BudgetFields({ id, form, problem, scope }: { id: string; form: BudgetForm; problem?: Problem | null; scope: boolean }) {
  const refillDescribed = [`${id}-refill-hint`, describedBy(problem, "credits_refill")].filter(Boolean).join(" ");
  return (
    <>
      {scope ? (
        <div class="field">
          <label for={`${id}-scope`}>Rate-limit scope</label>
          <select id={`${id}-scope`} name="rate_limit_scope" aria-describedby={[`${id}-scope-hint`, describedBy(problem, "rate_limit_scope")].filter(Boolean).join(" ")}>
            {Object.entries(SCOPE_TEXT).map(([value, { label }]) => (
              <option value={value} selected={form.rate_limit_scope === value}>
                {label}
              </option>
            ))}
          </select>
          <div class="hint" id={`${id}-scope-hint`}>
            {Object.values(SCOPE_TEXT).map(({ means }) => (
              <p>{means}</p>
            ))}
          </div>
          <FieldErrors problem={problem} field="rate_limit_scope" />
        </div>
      ) : null}
      <div class="field">
        <label for={`${id}-credits`}>Credits</label>
        <input id={`${id}-credits`} name="credits_remaining" type="number" min="0" step="1" value={form.credits_remaining} aria-describedby={[`${id}-credits-hint`, describedBy(problem, "credits_remaining")].filter(Boolean).join(" ")} />
        <p class="hint" id={`${id}-credits-hint`}>
          Each request spends one (verify spends its cost); at 0 requests are refused (402). Blank: unlimited.
        </p>
        <FieldErrors problem={problem} field="credits_remaining" />
      </div>
      <fieldset class="field" aria-describedby={refillDescribed}>
        <legend>Credit refill</legend>
        <div class="inline-form">
          <label for={`${id}-refill-interval`}>Top up</label>
          <select id={`${id}-refill-interval`} name="refill_interval">
            <option value="" selected={form.refill_interval === ""}>
              Never (no refill)
            </option>
            <option value="day" selected={form.refill_interval === "day"}>
              Every day
            </option>
            <option value="month" selected={form.refill_interval === "month"}>
              Every month
            </option>
          </select>
          <label for={`${id}-refill-amount`}>to</label>
          <input id={`${id}-refill-amount`} name="refill_amount" type="number" min="1" step="1" value={form.refill_amount} />
          <label for={`${id}-refill-day`}>on day of month</label>
          <input id={`${id}-refill-day`} name="refill_day" type="number" min="1" max="31" step="1" value={form.refill_day} />
        </div>
        <p class="hint" id={`${id}-refill-hint`}>
          At 00:00 UTC the balance is topped up to the amount (never lowered). Day of month only with a monthly refill (blank: day 1; past a month's end, its last day).
        </p>
        <RefillErrors problem={problem} />
      </fieldset>
    </>
  );
}

/** The submitted budget form's fields. */
export const budgetFormFrom = (f: { one: (name: string) => string }, scope: boolean): BudgetForm => ({
  ...(scope ? { rate_limit_scope: f.one("rate_limit_scope") } : {}),
  credits_remaining: f.one("credits_remaining"),
  refill_amount: f.one("refill_amount"),
  refill_interval: f.one("refill_interval"),
  refill_day: f.one("refill_day"),
});

export const BUDGET_FIELDS = ["rate_limit_scope", "credits_remaining", "credits_refill"];
