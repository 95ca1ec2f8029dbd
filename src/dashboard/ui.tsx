import type { Child } from "hono/jsx";
import type { Problem } from "./types";

/** `2026-11-23 08:00 UTC`: one unambiguous form for every timestamp, the exact instant in the tooltip. */
export function When({ at, empty = "Never" }: { at: string | null | undefined; empty?: string }) {
  if (!at) return <span class="muted">{empty}</span>;
  return (
    <time datetime={at} title={at}>
      {`${at.slice(0, 10)} ${at.slice(11, 16)} UTC`}
    </time>
  );
}

const STATUS_LABELS: Record<string, string> = {
  active: "Active",
  revoked: "Revoked",
  expired: "Expired",
  suspended: "Suspended",
  deactivated: "Deactivated",
  enabled: "Enabled",
  disabled: "Disabled",
  queued: "Queued",
  sending: "Sending",
  delivered: "Delivered",
  failed: "Failed",
  leaked: "Leaked",
};

export function Badge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}

export function Notice({ kind, children }: { kind: "success" | "error" | "info"; children?: Child }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

/** The field a problem's error path belongs to: `allowed_ips.2` → `allowed_ips`. */
const fieldOf = (path: string) => path.split(".")[0]!;

/**
 * Field errors of `problem` for `field`, as the API worded them. An error about one entry of a list
 * (`allowed_ips.1`) names that entry, quoted from `entries` (the list as sent), else its position.
 */
export function FieldErrors({ problem, field, entries }: { problem?: Problem | null; field: string; entries?: string[] }) {
  const errors = problem?.errors?.filter((e) => fieldOf(e.path) === field) ?? [];
  if (errors.length === 0) return null;
  const label = (path: string) => {
    const index = path.split(".")[1];
    if (index === undefined || !/^\d+$/.test(index)) return "";
    const entry = entries?.[Number(index)];
    return entry !== undefined ? `“${entry}”: ` : `Entry ${Number(index) + 1}: `;
  };
  return (
    <ul class="field-errors" id={`${field}-errors`}>
      {errors.map((e) => (
        <li>{`${label(e.path)}${e.message}`}</li>
      ))}
    </ul>
  );
}

/** `aria-describedby` for an input that may carry field errors. */
export const describedBy = (problem: Problem | null | undefined, field: string) =>
  problem?.errors?.some((e) => fieldOf(e.path) === field) ? `${field}-errors` : undefined;

/**
 * What the API said when it refused a form: its `detail`, and the errors of fields the form does
 * not show (those it shows appear next to their field).
 */
export function ProblemNotice({ problem, fields = [] }: { problem?: Problem | null; fields?: string[] }) {
  if (!problem) return null;
  const elsewhere = problem.errors?.filter((e) => !fields.includes(fieldOf(e.path))) ?? [];
  // A validation error's detail names the request part ("The request json is not valid."): the
  // fields' own messages say more, next to them.
  const detail = problem.code === "validation_error" && elsewhere.length === 0 ? "Check the fields marked below." : problem.detail;
  return (
    <Notice kind="error">
      <p>
        <strong>That did not work.</strong> {detail}
      </p>
      {elsewhere.length > 0 ? (
        <ul>
          {elsewhere.map((e) => (
            <li>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </Notice>
  );
}

/** A table that scrolls sideways on a narrow screen instead of breaking the page. */
export function TableWrap({ label, children }: { label: string; children?: Child }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
      {children}
    </div>
  );
}

/** A column heading: its text, or `{ hidden }` for a column of buttons (named for screen readers only); falsy leaves the column out. */
export type Column = string | { hidden: string } | false | null | undefined;

/**
 * A list page's table: scrolling (TableWrap), one heading per column, the rows as `children`. A
 * row leaves out the same cells as `columns` does (the callers test the same flag for both).
 */
export function DataTable({ label, columns, children }: { label: string; columns: Column[]; children?: Child }) {
  return (
    <TableWrap label={label}>
      <table>
        <thead>
          <tr>
            {columns.map((col) =>
              !col ? null : typeof col === "string" ? (
                <th scope="col">{col}</th>
              ) : (
                <th scope="col">
                  <span class="visually-hidden">{col.hidden}</span>
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </TableWrap>
  );
}

/** A term and its value, as a details card lists them. */
export type DetailRow = [term: string, value: Child];

/** The facts about one object (a key, an endpoint, a user, a partner), as a grid of terms. */
export function Details({ rows }: { rows: DetailRow[] }) {
  return (
    <dl class="details">
      {rows.map(([term, value]) => (
        <div>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Scopes, permissions or event types as tags; `empty` in their place when there are none. */
export function Tags({ items, empty = "None" }: { items: readonly string[]; empty?: string }) {
  if (items.length === 0) return <span class="muted">{empty}</span>;
  return <>{items.map((item) => <code class="tag">{item}</code>)}</>;
}

/**
 * The page that asks before something that cannot be undone: what happens (`children`), a danger
 * button posting to `action`, and Cancel back to `cancelHref`. The GET of a confirmation changes
 * nothing; only its POST acts, under the Origin rule like every other.
 */
export function ConfirmCard(props: { title: Child; action: string; label: string; cancelHref: string; children?: Child }) {
  const { title, action, label, cancelHref, children } = props;
  return (
    <section class="card narrow danger" aria-labelledby="confirm-title">
      <h1 id="confirm-title">{title}</h1>
      {children}
      <form method="post" action={action} class="actions">
        <button type="submit" class="button danger">
          {label}
        </button>
        <a class="button secondary" href={cancelHref}>
          Cancel
        </a>
      </form>
    </section>
  );
}

/** A labelled text input with its hint and the API's errors for it; `id` is unique on the page. */
export function TextField(props: { id: string; name: string; label: string; value: string; problem?: Problem | null; type?: string; required?: boolean; hint?: string }) {
  const { id, name, label, value, problem, type = "text", required = false, hint } = props;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} name={name} type={type} value={value} required={required} aria-describedby={describedBy(problem, name)} />
      {hint ? <p class="hint">{hint}</p> : null}
      <FieldErrors problem={problem} field={name} />
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: Child }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  );
}

/** Lists are pages of the API's cursor: "Next page" carries `next_cursor`, "First page" starts over. */
export function Pager({ href, next, paged }: { href: string; next: string | null; paged: boolean }) {
  if (!next && !paged) return null;
  const join = href.includes("?") ? "&" : "?";
  return (
    <nav class="pager" aria-label="Pages">
      {paged ? <a href={href}>First page</a> : null}
      {next ? <a href={`${href}${join}cursor=${encodeURIComponent(next)}`}>Next page</a> : null}
    </nav>
  );
}

/**
 * A secret shown exactly once, with a copy button (app.js; without JavaScript the text is selectable).
 * `testId` names the element holding it; `note` replaces the default explanation (a key's hash).
 */
export function NewSecret({ title, secret, testId = "new-key-secret", note }: { title: string; secret: string; testId?: string; note?: Child }) {
  return (
    <section class="card secret" aria-labelledby="new-secret-title">
      <h2 id="new-secret-title">{title}</h2>
      {note ?? <p>Copy it now and store it somewhere safe. It is shown only this once: Keyward keeps only a hash of it.</p>}
      <div class="secret-row">
        <code id={testId} data-testid={testId} class="secret-value">
          {secret}
        </code>
        <button type="button" class="button" data-copy={testId} hidden>
          Copy
        </button>
      </div>
    </section>
  );
}

/** Scope checkboxes: only what the signed-in caller may hand out is offered. */
export function ScopeBoxes(props: { name: string; legend: string; options: readonly string[]; checked: readonly string[]; hint?: string; problem?: Problem | null }) {
  const { name, legend, options, checked, hint, problem } = props;
  return (
    <fieldset class="field" aria-describedby={describedBy(problem, name)}>
      <legend>{legend}</legend>
      {hint ? <p class="hint">{hint}</p> : null}
      {options.length === 0 ? <p class="muted">There are no scopes you could grant.</p> : null}
      <div class="checks">
        {options.map((scope, i) => (
          <label class="check" for={`${name}-${i}`}>
            <input type="checkbox" id={`${name}-${i}`} name={name} value={scope} checked={checked.includes(scope)} />
            <code>{scope}</code>
          </label>
        ))}
      </div>
      <FieldErrors problem={problem} field={name} />
    </fieldset>
  );
}

/** One line per entry, as the allowlist textareas take them. */
export const linesOf = (text: string | undefined | null) =>
  (text ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
